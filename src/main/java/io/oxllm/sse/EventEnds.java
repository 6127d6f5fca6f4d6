package io.oxllm.sse;

/**
 * Tells an {@link EventListener} where events end in the chunk being fed to {@link SseScanner}.
 * An event ends after its blank line; when that is a CR, an LF right after it belongs to it too
 * (CRLF), so a caller cutting the stream at event ends never leaves that LF at the front of the
 * next event, where it would be held with it. When the chunk ends right after the CR, the event
 * is reported at the chunk end (nothing is held back waiting for the next chunk) and an LF that
 * starts the next chunk is reported as a block of its own, with the same {@code usageOnly} (it is
 * that event's tail: whoever drops the event drops it too).
 */
final class EventEnds {
  EventListener listener; // null: nobody to tell
  private boolean pending; // an event ended with a CR at the end of a window: report at the next byte
  private boolean pendingUsage;
  private boolean lfTail; // an event ended with a CR at the end of the previous chunk

  /** An event ended with a[p], the last byte of its blank line, in a window ending at end. */
  void ended(byte[] a, int p, int end, int base, boolean usageOnly) {
    if (listener == null) {
      return;
    }
    if (a[p] != '\r') {
      listener.eventEnd(base + p + 1, usageOnly);
    } else if (p + 1 < end) {
      listener.eventEnd(base + p + (a[p + 1] == '\n' ? 2 : 1), usageOnly);
    } else {
      pending = true;
      pendingUsage = usageOnly;
    }
  }

  /**
   * A window starts with a[at] (chunk offset base + at): call before scanning it. Like
   * {@link #chunkEnd}, it acts only on state that a feed with a listener set.
   */
  void windowStart(byte[] a, int at, int base) {
    if (pending) {
      pending = false;
      listener.eventEnd(base + at + (a[at] == '\n' ? 1 : 0), pendingUsage);
    } else if (lfTail) {
      lfTail = false;
      if (a[at] == '\n') {
        listener.eventEnd(base + at + 1, pendingUsage);
      }
    }
  }

  /** The chunk of n bytes is done. */
  void chunkEnd(int n) {
    if (pending) {
      pending = false;
      lfTail = true;
      listener.eventEnd(n, pendingUsage);
    }
  }

  /** A new chunk: an lfTail only concerns its first byte, and only while someone listens. */
  void chunkStart(EventListener l) {
    listener = l;
    if (l == null) {
      pending = false;
      lfTail = false;
    }
  }
}
