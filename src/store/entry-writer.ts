import type { Database, Statement } from 'better-sqlite3';
import type { LogEntry } from '../wechat/types.js';
import { entryFingerprint } from './fingerprint.js';
import { messageText } from './message-text.js';

const KNOWN_FIELDS = new Set([
  'level', 'libraryVersion', 'clientVersion', 'id', 'timestamp', 'platform', 'url', 'msg', 'traceid', 'filterMsg',
]);

export interface SaveResult {
  /** Entries stored for the first time. */
  inserted: number;
  /** Entries in the page (known ones only had last_seen_at moved). */
  seen: number;
}

function text(v: unknown): string | null {
  return typeof v === 'string' ? v : v === undefined || v === null ? null : JSON.stringify(v);
}

function int(v: unknown): number | null {
  return typeof v === 'number' && Number.isFinite(v) ? v : null;
}

/** Writes pages of entries. Statements are prepared once; callers wrap calls in their own transaction. */
export class EntryWriter {
  private readonly insertEntry: Statement;
  private readonly touchEntry: Statement;
  private readonly insertMessage: Statement;
  private readonly linkLedger: Statement;

  constructor(db: Database) {
    this.insertEntry = db.prepare(`
      INSERT INTO log_entries (appid, traceid, timestamp, level, platform, library_version, client_version, openid,
                               url, filter_msg, msg, extra, fingerprint, first_seen_at, last_seen_at)
      VALUES (@appid, @traceid, @timestamp, @level, @platform, @library_version, @client_version, @openid,
              @url, @filter_msg, @msg, @extra, @fingerprint, @seen_at, @seen_at)
      ON CONFLICT (appid, timestamp, fingerprint) DO NOTHING`);
    this.touchEntry = db.prepare(`
      UPDATE log_entries SET last_seen_at = @seen_at
      WHERE appid = @appid AND timestamp = @timestamp AND fingerprint = @fingerprint
      RETURNING id`);
    this.insertMessage = db.prepare(`
      INSERT INTO log_messages (entry_id, seq, time, level, args, text, logged_at) VALUES (?, ?, ?, ?, ?, ?, ?)`);
    this.linkLedger = db.prepare(`
      INSERT INTO ledger_entries (filter_key, entry_id, timestamp) VALUES (?, ?, ?) ON CONFLICT DO NOTHING`);
  }

  /**
   * Upserts `entries` for `appid`. Must run inside a transaction (the caller's, together with the ledger's
   * progress), so a crash at any instant leaves either the whole page or none of it.
   * With a non-empty `filterKey` the entries are also recorded as seen by that filtered ledger.
   */
  save(appid: string, entries: readonly LogEntry[], seenAt: number, filterKey = ''): SaveResult {
    let inserted = 0;
    for (const entry of entries) {
      const extraFields = Object.keys(entry).filter((k) => !KNOWN_FIELDS.has(k));
      const extra = extraFields.length === 0 ? null : JSON.stringify(Object.fromEntries(extraFields.map((k) => [k, (entry as Record<string, unknown>)[k]])));
      const messages = Array.isArray(entry.msg) ? entry.msg : [];
      const row = {
        appid,
        traceid: text(entry.traceid),
        timestamp: entry.timestamp,
        level: int(entry.level),
        platform: int(entry.platform),
        library_version: text(entry.libraryVersion),
        client_version: text(entry.clientVersion),
        openid: text(entry.id),
        url: text(entry.url),
        filter_msg: text(entry.filterMsg),
        msg: JSON.stringify(entry.msg ?? []),
        extra,
        fingerprint: entryFingerprint(entry),
        seen_at: seenAt,
      };
      const result = this.insertEntry.run(row);
      let entryId: number;
      if (result.changes === 1) {
        inserted += 1;
        entryId = Number(result.lastInsertRowid);
        messages.forEach((m, seq) => {
          const args = Array.isArray(m.msg) ? m.msg : [];
          const time = int(m.time);
          // logged_at: the call's own time, else its entry's (what search orders by; migration 0003).
          this.insertMessage.run(entryId, seq, time, int(m.level), JSON.stringify(args), messageText(args), time ?? entry.timestamp);
        });
      } else {
        entryId = (this.touchEntry.get(row) as { id: number }).id;
      }
      if (filterKey !== '') this.linkLedger.run(filterKey, entryId, entry.timestamp);
    }
    return { inserted, seen: entries.length };
  }
}
