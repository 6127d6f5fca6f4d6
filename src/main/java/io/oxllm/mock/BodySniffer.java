package io.oxllm.mock;

import io.netty.buffer.ByteBuf;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.internal.buffer.BufferInternal;
import java.nio.charset.StandardCharsets;

/**
 * The few facts the mock needs from a request body, found by byte search instead of a JSON parse
 * (the mock must cost far less than the gateway it measures): is {@code "stream"} true, is
 * {@code "include_usage"} true, is {@code "encoding_format"} "base64", and the raw text of
 * {@code "model"}. A key is a quoted name followed by optional whitespace and a colon; inside a
 * JSON string a quote is escaped, so such a match is always a real key (possibly a nested one,
 * which is good enough for a mock).
 */
final class BodySniffer {
  static final byte[] STREAM = key("stream");
  static final byte[] INCLUDE_USAGE = key("include_usage");
  static final byte[] ENCODING_FORMAT = key("encoding_format");
  static final byte[] MODEL = key("model");
  private static final byte[] TRUE = ascii("true");
  private static final byte[] BASE64 = ascii("\"base64\"");
  private static final int MAX_MODEL = 200;

  private final byte[] a;
  private final int off;
  private final int end;

  /** Reads the body in place when it has a backing array (the usual heap buffer), else copies it once. */
  BodySniffer(Buffer body) {
    ByteBuf bb = body instanceof BufferInternal bi ? bi.getByteBuf() : null;
    if (bb != null && bb.hasArray()) {
      a = bb.array();
      off = bb.arrayOffset() + bb.readerIndex();
      end = off + bb.readableBytes();
    } else {
      a = body.getBytes();
      off = 0;
      end = a.length;
    }
  }

  int length() {
    return end - off;
  }

  /** True when {@code key} is followed by the literal {@code true}. */
  boolean isTrue(byte[] key) {
    return valueIs(key, TRUE);
  }

  /** True when {@code key}'s value is the string "base64". */
  boolean isBase64(byte[] key) {
    return valueIs(key, BASE64);
  }

  /**
   * The raw bytes between the quotes of {@code key}'s string value (escapes kept, so they splice
   * back into JSON as they are), or null when absent, not a string, too long or holding control
   * bytes (which would break an SSE line).
   */
  byte[] rawString(byte[] key) {
    int v = valueStart(key, off);
    if (v < 0 || v >= end || a[v] != '"') {
      return null;
    }
    for (int i = v + 1; i < end && i - v <= MAX_MODEL; i++) {
      byte c = a[i];
      if (c == '\\') {
        i++; // skip the escaped byte, which may be a quote
      } else if (c == '"') {
        return i == v + 1 ? null : java.util.Arrays.copyOfRange(a, v + 1, i);
      } else if (c >= 0 && c < 0x20) {
        return null;
      }
    }
    return null;
  }

  private boolean valueIs(byte[] key, byte[] literal) {
    int from = off;
    while (true) {
      int v = valueStart(key, from);
      if (v < 0) {
        return false;
      }
      if (regionEquals(v, literal)) {
        return true;
      }
      from = v; // a later occurrence (e.g. a nested object) may still say true
    }
  }

  /** Index of the first value byte after the next {@code key} + ws + ':' + ws at or after {@code from}, or -1. */
  private int valueStart(byte[] key, int from) {
    int last = end - key.length;
    byte first = key[0];
    for (int i = from; i <= last; i++) {
      if (a[i] != first || !regionEquals(i, key)) {
        continue;
      }
      int j = skipWs(i + key.length);
      if (j < end && a[j] == ':') {
        return skipWs(j + 1);
      }
    }
    return -1;
  }

  private int skipWs(int i) {
    while (i < end && (a[i] == ' ' || a[i] == '\t' || a[i] == '\n' || a[i] == '\r')) {
      i++;
    }
    return i;
  }

  private boolean regionEquals(int at, byte[] b) {
    if (at + b.length > end) {
      return false;
    }
    for (int k = 0; k < b.length; k++) {
      if (a[at + k] != b[k]) {
        return false;
      }
    }
    return true;
  }

  private static byte[] key(String name) {
    return ascii("\"" + name + "\"");
  }

  static byte[] ascii(String s) {
    return s.getBytes(StandardCharsets.US_ASCII);
  }
}
