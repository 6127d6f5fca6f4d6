package io.oxllm.telemetry;

import java.util.Arrays;
import java.util.concurrent.ThreadLocalRandom;

/**
 * W3C trace context ids: new random trace and span ids, parsing a client's {@code traceparent},
 * formatting the one sent upstream, and decoding ids to the bytes OTLP carries. Ids are lowercase
 * hex and never all zeros (both are invalid per the W3C spec). Random, not secret:
 * {@link ThreadLocalRandom} like the OTel SDK's own generator, so making ids costs the request
 * path no lock and no entropy pool.
 */
public final class TraceIds {
  private static final char[] HEX = "0123456789abcdef".toCharArray();
  private static final int TRACEPARENT_LENGTH = 55; // "00-" + 32 + "-" + 16 + "-" + 2
  // hex digit values by character; -1 for anything else (uppercase included: ids are lowercase)
  private static final int[] NIBBLES = new int[256];

  static {
    Arrays.fill(NIBBLES, -1);
    for (int c = '0'; c <= '9'; c++) {
      NIBBLES[c] = c - '0';
    }
    for (int c = 'a'; c <= 'f'; c++) {
      NIBBLES[c] = c - 'a' + 10;
    }
  }

  /** A client's parent from its {@code traceparent}. */
  public record Parent(String traceId, String spanId, boolean sampled) {}

  private TraceIds() {}

  /** A new random trace id: 32 lowercase hex, not all zeros. */
  public static String newTraceId() {
    ThreadLocalRandom r = ThreadLocalRandom.current();
    long hi;
    long lo;
    do {
      hi = r.nextLong();
      lo = r.nextLong();
    } while (hi == 0 && lo == 0);
    char[] out = new char[32];
    hex(hi, out, 0);
    hex(lo, out, 16);
    return new String(out);
  }

  /** A new random span id: 16 lowercase hex, not all zeros. */
  public static String newSpanId() {
    ThreadLocalRandom r = ThreadLocalRandom.current();
    long id;
    do {
      id = r.nextLong();
    } while (id == 0);
    char[] out = new char[16];
    hex(id, out, 0);
    return new String(out);
  }

  /**
   * Parses a W3C {@code traceparent} header ({@code 00-<32 hex>-<16 hex>-<2 hex>}); null when it is
   * absent or invalid: wrong length or separators, uppercase or non-hex, version {@code ff}, an
   * all-zero id, or version 00 with trailing data. A later version may carry more fields after a
   * {@code -}, which are ignored (the spec's forward-compatibility rule).
   */
  public static Parent parse(String traceparent) {
    if (traceparent == null || traceparent.length() < TRACEPARENT_LENGTH) {
      return null;
    }
    String s = traceparent.strip();
    if (s.length() < TRACEPARENT_LENGTH || s.charAt(2) != '-' || s.charAt(35) != '-' || s.charAt(52) != '-') {
      return null;
    }
    if (!isHex(s, 0, 2) || s.startsWith("ff") || !isHex(s, 3, 35) || !isHex(s, 36, 52) || !isHex(s, 53, 55)) {
      return null;
    }
    boolean version00 = s.startsWith("00");
    if (s.length() > TRACEPARENT_LENGTH && (version00 || s.charAt(TRACEPARENT_LENGTH) != '-')) {
      return null;
    }
    String traceId = s.substring(3, 35);
    String spanId = s.substring(36, 52);
    if (allZeros(traceId) || allZeros(spanId)) {
      return null;
    }
    int flags = Character.digit(s.charAt(54), 16);
    return new Parent(traceId, spanId, (flags & 1) == 1);
  }

  /**
   * The {@code traceparent} to send upstream: {@code 00-<traceId>-<spanId>-01}, or {@code -00} when
   * the trace is not sampled (the client's decision, passed on as the W3C spec asks).
   */
  public static String traceparent(String traceId, String spanId, boolean sampled) {
    return "00-" + traceId + "-" + spanId + (sampled ? "-01" : "-00");
  }

  /**
   * Decodes a trace or span id given as {@code length} lowercase hex digits into the first
   * {@code length / 2} bytes of {@code id}. False when it is not one: null, another length, other
   * characters, or all zeros (W3C: invalid); {@code id} then holds garbage.
   */
  static boolean decode(String hex, int length, byte[] id) {
    if (hex == null || hex.length() != length) {
      return false;
    }
    int any = 0;
    for (int i = 0; i < length; i += 2) {
      char a = hex.charAt(i);
      char b = hex.charAt(i + 1);
      if ((a | b) > 0xFF) {
        return false;
      }
      int hi = NIBBLES[a];
      int lo = NIBBLES[b];
      if ((hi | lo) < 0) {
        return false;
      }
      id[i >> 1] = (byte) (hi << 4 | lo);
      any |= hi | lo;
    }
    return any != 0;
  }

  private static void hex(long v, char[] out, int at) {
    for (int i = 15; i >= 0; i--) {
      out[at + i] = HEX[(int) (v & 0xf)];
      v >>>= 4;
    }
  }

  private static boolean isHex(String s, int from, int to) {
    for (int i = from; i < to; i++) {
      char c = s.charAt(i);
      if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) {
        return false;
      }
    }
    return true;
  }

  private static boolean allZeros(String s) {
    for (int i = 0; i < s.length(); i++) {
      if (s.charAt(i) != '0') {
        return false;
      }
    }
    return true;
  }
}
