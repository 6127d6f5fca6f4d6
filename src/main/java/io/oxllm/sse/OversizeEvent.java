package io.oxllm.sse;

/**
 * An event that passed {@link SseScanner}'s inspection limit: its bytes are dropped as they come,
 * and only its lines' field names are followed, to know whether it was a data event (it then
 * counts) and whether a cut inside it cuts data. Holds its own line state while it lasts; the
 * scanner takes it back, at a line start, when the event's blank line arrives.
 */
final class OversizeEvent {
  private boolean active;
  private boolean hasData;
  private int fieldMatch; // DataLines.matchData state of the current line
  private boolean atLineStart;
  private boolean afterCr;

  /**
   * The unfinished event a[0, len), whose last (unfinished) line starts at lineStart, passed the
   * limit; the line state is the scanner's after a[len - 1].
   */
  void start(byte[] a, int lineStart, int len, boolean atLineStart, boolean afterCr) {
    active = true;
    hasData = DataLines.anyDataLine(a, 0, lineStart);
    fieldMatch = 0;
    for (int i = lineStart; i < len; i++) {
      fieldMatch = DataLines.matchData(fieldMatch, a[i]);
    }
    hasData |= fieldMatch == DataLines.DATA_FIELD;
    this.atLineStart = atLineStart;
    this.afterCr = afterCr;
  }

  boolean active() {
    return active;
  }

  /** Whether the event had a data field (so far). */
  boolean hasData() {
    return hasData;
  }

  /** A cut now cuts data: a data line was seen, or the unfinished last line may be one. */
  boolean cutInsideData() {
    return hasData || fieldMatch > 0;
  }

  /** {@link SseScanner#eventEnd} while this lasts. */
  String eventEnd() {
    return SseScanner.eventEnd(atLineStart, afterCr);
  }

  /**
   * Follows a[from, end); returns the index of the byte that ends the event (the last byte of its
   * blank line, after which this is no longer active), or -1 when the event goes on.
   */
  int scan(byte[] a, int from, int end) {
    for (int p = from; p < end; p++) {
      byte b = a[p];
      if (afterCr) {
        afterCr = false;
        if (b == '\n') {
          continue;
        }
      }
      if (b == '\n' || b == '\r') {
        afterCr = b == '\r';
        if (atLineStart) {
          active = false;
          return p;
        }
        hasData |= fieldMatch == 4; // a bare "data" line
        fieldMatch = 0;
        atLineStart = true;
      } else {
        atLineStart = false;
        fieldMatch = DataLines.matchData(fieldMatch, b);
        hasData |= fieldMatch == DataLines.DATA_FIELD;
      }
    }
    return -1;
  }
}
