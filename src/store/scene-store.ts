import type { Database } from 'better-sqlite3';
import type { Scene } from '../wechat/types.js';

/** Replaces the stored scene list of `appid` with `scenes`, in one transaction. */
export function replaceScenes(db: Database, appid: string, scenes: readonly Scene[], at: number): void {
  const remove = db.prepare('DELETE FROM scenes WHERE appid = ?');
  const insert = db.prepare(
    'INSERT INTO scenes (appid, value, name, updated_at) VALUES (?, ?, ?, ?) ON CONFLICT (appid, value) DO UPDATE SET name = excluded.name, updated_at = excluded.updated_at',
  );
  db.transaction(() => {
    remove.run(appid);
    for (const s of scenes) insert.run(appid, s.value, s.name, at);
  })();
}

/** The stored scene list of `appid`, in the order the server listed it: replaceScenes inserts it in that order. */
export function listScenes(db: Database, appid: string): Scene[] {
  return db.prepare('SELECT name, value FROM scenes WHERE appid = ? ORDER BY rowid').all(appid) as Scene[];
}
