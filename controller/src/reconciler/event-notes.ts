/**
 * Remembers the last message emitted per (Service key, reason), so a reconcile that reaches the
 * same verdict again (e.g. after an unrelated pool edit) does not emit the same event again.
 * Invariant: `clear` forgets a key entirely (Service deleted), `resolve` one reason of it.
 */
export class EventNotes {
  readonly #notes = new Map<string, Map<string, string>>();

  /** True when (key, reason) last carried a different message (or none): emit, and remember it. */
  changed(key: string, note: { reason: string; message: string }): boolean {
    let perKey = this.#notes.get(key);
    if (perKey === undefined) {
      perKey = new Map();
      this.#notes.set(key, perKey);
    }
    if (perKey.get(note.reason) === note.message) return false;
    perKey.set(note.reason, note.message);
    return true;
  }

  resolve(key: string, reason: string): void {
    this.#notes.get(key)?.delete(reason);
  }

  clear(key: string): void {
    this.#notes.delete(key);
  }
}
