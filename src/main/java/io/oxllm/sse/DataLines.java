package io.oxllm.sse;

import java.util.Arrays;

/**
 * Line level of one complete SSE event: picks out its {@code data} fields (ignoring comments and
 * other fields) and hands their value to {@link EventFacts}. A single data line, the usual case,
 * is handed over in place; several are joined with LF into a reusable array.
 */
final class DataLines {
  private static final byte[] LF = {'\n'};
  private static final byte[] DONE = {'[', 'D', 'O', 'N', 'E', ']'};
  private static final byte[] DATA = {'d', 'a', 't', 'a'};
  private static final byte[] EVENT_ERROR = "event:error".getBytes(java.nio.charset.StandardCharsets.US_ASCII);
  private static final byte[] EVENT_SP_ERROR = "event: error".getBytes(java.nio.charset.StandardCharsets.US_ASCII);
  /** {@link #matchData} state once a line is known to start with "data:". */
  static final int DATA_FIELD = 5;

  private byte[] joined = new byte[0];

  /** Handles the event in a[from, to) (its lines with their line ends, not the blank line). */
  void dispatch(byte[] a, int from, int to, EventFacts facts) {
    int lines = 0;
    int dataOff = 0;
    int dataLen = 0;
    boolean errorEvent = false;
    for (int i = from; i < to; ) {
      int e = lineEnd(a, i, to);
      if (a[i] == 'e') {
        errorEvent |= isLine(a, i, e, EVENT_ERROR) || isLine(a, i, e, EVENT_SP_ERROR);
      } else if (isDataLine(a, i, e)) {
        int v = Math.min(i + 5, e); // after "data:" (or at the end of a bare "data" line)
        if (v < e && a[v] == ' ') {
          v++; // the SSE spec strips exactly one leading space
        }
        if (lines == 0) {
          dataOff = v;
          dataLen = e - v;
        } else {
          if (lines == 1) {
            dataLen = put(0, a, dataOff, dataLen);
          }
          dataLen = put(dataLen, LF, 0, 1);
          dataLen = put(dataLen, a, v, e - v);
        }
        lines++;
      }
      i = e + 1; // an empty "line" (LF of a CRLF pair) is skipped by the next round
    }
    if (lines == 1) {
      facts.accept(a, dataOff, dataLen, errorEvent);
    } else if (lines > 1) {
      facts.accept(joined, 0, dataLen, errorEvent);
    }
  }

  /** Whether the line a[from, end) is exactly {@code text}. */
  private static boolean isLine(byte[] a, int from, int end, byte[] text) {
    return end - from == text.length && JsonSniffer.regionEquals(a, from, text);
  }

  /**
   * Whether a[from, to), the lines of an event without its blank line (the last maybe without its
   * line end), is exactly one {@code data: [DONE]} line: an upstream that ended without the blank
   * line after it still said the answer was complete.
   */
  static boolean isDoneEvent(byte[] a, int from, int to) {
    boolean done = false;
    for (int i = from; i < to; ) {
      int e = lineEnd(a, i, to);
      if (isDataLine(a, i, e)) {
        int v = Math.min(i + 5, e);
        if (v < e && a[v] == ' ') {
          v++;
        }
        if (done || e - v != 6 || !JsonSniffer.regionEquals(a, v, DONE)) {
          return false;
        }
        done = true;
      }
      i = e + 1;
    }
    return done;
  }

  /** Index of the first CR or LF in a[from, to), else to. */
  static int lineEnd(byte[] a, int from, int to) {
    int e = from;
    while (e < to && a[e] != '\n' && a[e] != '\r') {
      e++;
    }
    return e;
  }

  /** Whether a[from, to) (whole lines) has a data line. */
  static boolean anyDataLine(byte[] a, int from, int to) {
    boolean any = false;
    for (int i = from; i < to; ) {
      int e = lineEnd(a, i, to);
      any |= isDataLine(a, i, e);
      i = e + 1;
    }
    return any;
  }

  /** Whether a[from, to), an unfinished line, is a non-empty start of "data" shorter than it. */
  static boolean isDataNamePrefix(byte[] a, int from, int to) {
    int n = to - from;
    if (n < 1 || n > 3) {
      return false;
    }
    for (int k = 0; k < n; k++) {
      if (a[from + k] != DATA[k]) {
        return false;
      }
    }
    return true;
  }

  /**
   * Matches a line's field name byte by byte, from state 0 at the line start: the number of chars
   * of "data" matched so far (4 at the line end = a bare "data" line), {@link #DATA_FIELD} after
   * "data:", -1 when the line is not a data line.
   */
  static int matchData(int state, byte b) {
    if (state >= 0 && state < 4) {
      return b == DATA[state] ? state + 1 : -1;
    }
    return state == 4 ? (b == ':' ? DATA_FIELD : -1) : state;
  }

  /** A "data" field: the line is exactly "data" or starts with "data:". */
  static boolean isDataLine(byte[] a, int from, int end) {
    int n = end - from;
    return n >= 4 && a[from] == 'd' && a[from + 1] == 'a' && a[from + 2] == 't'
        && a[from + 3] == 'a' && (n == 4 || a[from + 4] == ':');
  }

  private int put(int at, byte[] src, int off, int n) {
    if (joined.length < at + n) {
      joined = Arrays.copyOf(joined, Math.max(at + n, joined.length * 2));
    }
    System.arraycopy(src, off, joined, at, n);
    return at + n;
  }
}
