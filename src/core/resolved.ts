/**
 * The one already settled result of a write that was queued at once. Callers
 * compare against it by identity (a handler whose answer was written at once
 * is done now, with no promise reaction), so every layer of the session must
 * share this very object: a copy per file made that comparison always false.
 */
export const RESOLVED: Promise<void> = Promise.resolve();
