package io.oxllm.sse;

/**
 * Cheap byte-level pre-check deciding whether an event's JSON is worth parsing.
 *
 * <p>It looks for the keys that can change a result, followed by a value that can matter
 * ({@code "finish_reason":"…"}, {@code "usage":{…}}, {@code "error":…}, and while still wanted a
 * {@code "model"} or a non-empty {@code content} / {@code text} / {@code tool_calls} /
 * {@code reasoning(_content)}), allowing JSON whitespace around the colon. A false positive only costs a parse; a false negative
 * would lose a fact, so every test errs on the side of parsing.
 */
final class JsonSniffer {
  private static final byte[] FINISH_REASON = key("finish_reason");
  private static final byte[] USAGE = key("usage");
  private static final byte[] MODEL = key("model");
  private static final byte[] CONTENT = key("content");
  private static final byte[] TEXT = key("text");
  private static final byte[] TOOL_CALLS = key("tool_calls");
  private static final byte[] REASONING = key("reasoning");
  private static final byte[] REASONING_CONTENT = key("reasoning_content");
  private static final byte[] ERROR = key("error");

  private JsonSniffer() {}

  /** Key name plus its closing quote (the opening quote is matched by the scan). */
  private static byte[] key(String name) {
    return (name + '"').getBytes(java.nio.charset.StandardCharsets.US_ASCII);
  }

  static boolean worthParsing(byte[] a, int off, int len, boolean wantModel, boolean wantToken) {
    int end = off + len;
    for (int i = off; i < end - 1; i++) {
      if (a[i] != '"') {
        continue;
      }
      int k = i + 1;
      switch (a[k]) {
        case 'f':
          if (isString(a, value(a, k, end, FINISH_REASON), end)) {
            return true;
          }
          break;
        case 'u':
          if (is(a, value(a, k, end, USAGE), '{')) {
            return true;
          }
          break;
        case 'm':
          if (wantModel && is(a, value(a, k, end, MODEL), '"')) {
            return true;
          }
          break;
        case 'c':
          if (wantToken && isContent(a, value(a, k, end, CONTENT), end)) {
            return true;
          }
          break;
        case 't':
          if (wantToken && (isContent(a, value(a, k, end, TEXT), end)
              || isContainer(a, value(a, k, end, TOOL_CALLS)))) {
            return true;
          }
          break;
        case 'e': // an error in the middle of a stream: the answer was no success, whatever follows
          int v = value(a, k, end, ERROR);
          if (is(a, v, '{') || is(a, v, '"')) {
            return true;
          }
          break;
        case 'r':
          if (wantToken && (isString(a, value(a, k, end, REASONING), end)
              || isString(a, value(a, k, end, REASONING_CONTENT), end))) {
            return true;
          }
          break;
        default:
          break;
      }
    }
    return false;
  }

  /**
   * If a[k…] is {@code key} followed by optional whitespace, a colon and optional whitespace,
   * returns the index of the value's first byte; else -1.
   */
  private static int value(byte[] a, int k, int end, byte[] key) {
    if (end - k < key.length || !regionEquals(a, k, key)) {
      return -1;
    }
    int p = skipWs(a, k + key.length, end);
    if (p >= end || a[p] != ':') {
      return -1; // a string value that merely looks like the key
    }
    p = skipWs(a, p + 1, end);
    return p < end ? p : -1;
  }

  private static int skipWs(byte[] a, int p, int end) {
    while (p < end && (a[p] == ' ' || a[p] == '\t' || a[p] == '\n' || a[p] == '\r')) {
      p++;
    }
    return p;
  }

  private static boolean is(byte[] a, int v, char c) {
    return v >= 0 && a[v] == c;
  }

  /** A string value that is not "" (an empty finish_reason / content carries nothing). */
  private static boolean isString(byte[] a, int v, int end) {
    return is(a, v, '"') && v + 1 < end && a[v + 1] != '"';
  }

  /** Content may be a non-empty string or an array of parts. */
  private static boolean isContent(byte[] a, int v, int end) {
    return isString(a, v, end) || is(a, v, '[');
  }

  private static boolean isContainer(byte[] a, int v) {
    return is(a, v, '[') || is(a, v, '{');
  }

  static boolean regionEquals(byte[] a, int off, byte[] b) {
    for (int j = 0; j < b.length; j++) {
      if (a[off + j] != b[j]) {
        return false;
      }
    }
    return true;
  }
}
