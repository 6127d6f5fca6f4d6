package io.oxllm.telemetry;

import io.vertx.core.buffer.Buffer;
import java.nio.charset.StandardCharsets;

/**
 * What a collector said when it took only part of an export: OTLP's {@code partial_success} in an
 * {@code Export(Trace|Metrics)ServiceResponse} (field 1, a message whose field 1 is the number of
 * spans or data points rejected and field 2 the reason). The specification asks the client to
 * drop the rejected items and not retry them; the OTel Collector and the SDKs log a warning. Read
 * by hand, as the trace encoder writes: the answer is a few bytes, and its type is two fields.
 *
 * @param rejected spans or data points refused
 * @param message the collector's reason, possibly empty
 */
record PartialSuccess(long rejected, String message) {
  /** The most of a collector's reason kept for the log. */
  static final int MESSAGE_MAX = 256;
  private static final int FIELD = 1;
  private static final int REJECTED = 1;
  private static final int MESSAGE = 2;

  /** The answer's partial success, or null: none, an empty one (all accepted), or bytes that do not parse. */
  static PartialSuccess read(Buffer answer) {
    byte[] b = answer.getBytes();
    Reader r = new Reader(b, 0, b.length);
    while (r.more()) {
      long tag = r.varint();
      if (tag < 0) {
        return null;
      }
      if (tag >>> 3 == FIELD && (tag & 7) == 2) {
        int length = (int) r.varint();
        if (length < 0 || length > r.left()) {
          return null;
        }
        return inner(new Reader(b, r.at, r.at + length));
      }
      if (!r.skip((int) (tag & 7))) {
        return null;
      }
    }
    return null;
  }

  private static PartialSuccess inner(Reader r) {
    long rejected = 0;
    String message = "";
    while (r.more()) {
      long tag = r.varint();
      if (tag >>> 3 == REJECTED && (tag & 7) == 0) {
        rejected = r.varint();
      } else if (tag >>> 3 == MESSAGE && (tag & 7) == 2) {
        int length = (int) r.varint();
        if (length < 0 || length > r.left()) {
          return null;
        }
        message = printable(new String(r.b, r.at, length, StandardCharsets.UTF_8));
        r.at += length;
      } else if (tag < 0 || !r.skip((int) (tag & 7))) {
        return null;
      }
    }
    return rejected > 0 || !message.isEmpty() ? new PartialSuccess(Math.max(0, rejected), message) : null;
  }

  /** The same, rejecting no more than the {@code items} the export held (a collector's count is its word). */
  PartialSuccess atMost(long items) {
    return rejected <= items ? this : new PartialSuccess(items, message);
  }

  /** A collector's text as one log line: control characters become spaces, and it is cut. */
  private static String printable(String text) {
    StringBuilder out = new StringBuilder(Math.min(text.length(), MESSAGE_MAX));
    for (int i = 0; i < text.length() && out.length() < MESSAGE_MAX; i++) {
      char c = text.charAt(i);
      out.append(Character.isISOControl(c) ? ' ' : c);
    }
    return out.length() < text.length() ? out.append('…').toString() : out.toString();
  }

  /** A protobuf reader over b[at, end): varints and skips, -1 where the bytes end or run long. */
  private static final class Reader {
    final byte[] b;
    int at;
    final int end;

    Reader(byte[] b, int at, int end) {
      this.b = b;
      this.at = at;
      this.end = end;
    }

    boolean more() {
      return at < end;
    }

    int left() {
      return end - at;
    }

    long varint() {
      long v = 0;
      for (int shift = 0; shift < 64 && at < end; shift += 7) {
        byte x = b[at++];
        v |= (long) (x & 0x7f) << shift;
        if (x >= 0) {
          return v;
        }
      }
      at = end;
      return -1;
    }

    /** Skips a field of this wire type; false for one this cannot skip (groups) or past the end. */
    boolean skip(int wireType) {
      long n = switch (wireType) {
        case 0 -> varint() < 0 ? -1 : 0;
        case 1 -> 8;
        case 2 -> varint();
        case 5 -> 4;
        default -> -1;
      };
      if (n < 0 || n > left()) {
        return false;
      }
      at += (int) n;
      return true;
    }
  }
}
