import type { Database, Statement } from 'better-sqlite3';
import type { ServedEntry } from '../wechat/served-entry.js';
import { entryFingerprint } from './fingerprint.js';
import { messageText } from './message-text.js';

export interface SaveResult {
  /** Entries stored for the first time. */
  inserted: number;
  /** Entries in the page (known ones only had last_seen_at moved). */
  seen: number;
}

/** The ledger window a page was served for: where an entry without a usable timestamp is filed. */
export interface ServedWindow {
  id: number;
  begintime: number;
  endtime: number;
}

interface UntimedRow {
  id: number;
  windowId: number;
  begintime: number | null;
  endtime: number | null;
}

/** Writes pages of entries. Statements are prepared once; callers wrap calls in their own transaction. */
export class EntryWriter {
  private readonly insertEntry: Statement;
  private readonly touchEntry: Statement;
  private readonly insertMessage: Statement;
  private readonly linkLedger: Statement;
  private readonly findUntimed: Statement;
  private readonly moveUntimed: Statement;
  private readonly touchUntimed: Statement;
  private readonly moveUntimedMessages: Statement;
  private readonly moveUntimedLinks: Statement;

  constructor(db: Database) {
    this.insertEntry = db.prepare(`
      INSERT INTO log_entries (appid, traceid, timestamp, level, platform, library_version, client_version, openid,
                               url, filter_msg, msg, extra, fingerprint, first_seen_at, last_seen_at, window_id)
      VALUES (@appid, @traceid, @timestamp, @level, @platform, @library_version, @client_version, @openid,
              @url, @filter_msg, @msg, @extra, @fingerprint, @seen_at, @seen_at, @window_id)
      ON CONFLICT (appid, timestamp, fingerprint) DO NOTHING`);
    this.touchEntry = db.prepare(`
      UPDATE log_entries SET last_seen_at = @seen_at
      WHERE appid = @appid AND timestamp = @timestamp AND fingerprint = @fingerprint
      RETURNING id`);
    this.insertMessage = db.prepare(`
      INSERT INTO log_messages (entry_id, seq, time, level, args, text, logged_at) VALUES (?, ?, ?, ?, ?, ?, ?)`);
    this.linkLedger = db.prepare(`
      INSERT INTO ledger_entries (filter_key, entry_id, timestamp) VALUES (?, ?, ?) ON CONFLICT DO NOTHING`);
    this.findUntimed = db.prepare(`
      SELECT e.id, e.window_id AS windowId, w.begintime, w.endtime
      FROM log_entries e LEFT JOIN windows w ON w.id = e.window_id
      WHERE e.appid = ? AND e.fingerprint = ? AND e.window_id IS NOT NULL`);
    this.moveUntimed = db.prepare('UPDATE log_entries SET timestamp = ?, window_id = ?, last_seen_at = ? WHERE id = ?');
    this.touchUntimed = db.prepare('UPDATE log_entries SET last_seen_at = ? WHERE id = ?');
    this.moveUntimedMessages = db.prepare('UPDATE log_messages SET logged_at = ? WHERE entry_id = ? AND time IS NULL');
    this.moveUntimedLinks = db.prepare('UPDATE ledger_entries SET timestamp = ? WHERE entry_id = ?');
  }

  /**
   * Upserts `entries` for `appid`, served for `window`. Must run inside a transaction (the caller's,
   * together with the ledger's progress), so a crash at any instant leaves either the whole page or none
   * of it. With a non-empty `filterKey` the entries are also recorded as seen by that filtered ledger.
   */
  save(
    appid: string,
    entries: readonly ServedEntry[],
    seenAt: number,
    window: ServedWindow,
    filterKey = '',
  ): SaveResult {
    let inserted = 0;
    for (const entry of entries) {
      const fingerprint = entryFingerprint(entry.raw);
      if (entry.timestamp === null) {
        const known = this.findUntimed.get(appid, fingerprint) as UntimedRow | undefined;
        if (known) {
          const filedAt = this.refile(known, window, seenAt);
          if (filterKey !== '') this.linkLedger.run(filterKey, known.id, filedAt);
          continue;
        }
      }
      const timestamp = entry.timestamp ?? window.begintime;
      const row = {
        appid,
        traceid: entry.traceid,
        timestamp,
        level: entry.level,
        platform: entry.platform,
        library_version: entry.libraryVersion,
        client_version: entry.clientVersion,
        openid: entry.openid,
        url: entry.url,
        filter_msg: entry.filterMsg,
        msg: JSON.stringify(entry.msg),
        extra: entry.extra === null ? null : JSON.stringify(entry.extra),
        fingerprint,
        seen_at: seenAt,
        window_id: entry.timestamp === null ? window.id : null,
      };
      const result = this.insertEntry.run(row);
      let entryId: number;
      if (result.changes === 1) {
        inserted += 1;
        entryId = Number(result.lastInsertRowid);
        entry.messages.forEach((m, seq) => {
          // logged_at: the call's own time, else its entry's (what search orders by; migration 0003).
          this.insertMessage.run(
            entryId,
            seq,
            m.time,
            m.level,
            JSON.stringify(m.args ?? null),
            messageText(m.args),
            m.time ?? timestamp,
          );
        });
      } else {
        entryId = (this.touchEntry.get(row) as { id: number }).id;
      }
      if (filterKey !== '') this.linkLedger.run(filterKey, entryId, timestamp);
    }
    return { inserted, seen: entries.length };
  }

  /**
   * An entry without a timestamp served again: file it under the narrower window, so that it counts in the
   * window the server serves it for (the one whose completeness needs it) and not in that window's
   * siblings. Returns the timestamp it is filed under.
   */
  private refile(known: UntimedRow, window: ServedWindow, seenAt: number): number {
    const narrower =
      known.windowId !== window.id &&
      (known.begintime === null ||
        known.endtime === null ||
        (window.begintime >= known.begintime && window.endtime <= known.endtime));
    if (!narrower) {
      this.touchUntimed.run(seenAt, known.id);
      return known.begintime ?? window.begintime;
    }
    this.moveUntimed.run(window.begintime, window.id, seenAt, known.id);
    this.moveUntimedMessages.run(window.begintime, known.id);
    this.moveUntimedLinks.run(window.begintime, known.id);
    return window.begintime;
  }
}
