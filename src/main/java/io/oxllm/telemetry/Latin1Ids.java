package io.oxllm.telemetry;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;

/**
 * Copies a request id into an encoder's buffer as bytes, then checks those bytes eight at a time:
 * plain ASCII (for protobuf) or plain ASCII that JSON need not escape. The encoders write the id
 * three times per request (the log line, both spans), and char by char through
 * {@code String.charAt} each copy was ~50 ns of the worker's time for a 32-char id (profile of the
 * bench's live mode: a tenth of the worker); an array copy and the check are a few. An id the
 * gateway made is not read at all: {@link #hex} writes its digits from the bits the record carries
 * ({@link RequestRecord#requestIdHigh}), since its text, made on the request's core, was two cache
 * misses for the worker; the copy is for a client's id.
 *
 * <p>Why only request ids: {@link String#getBytes(int, int, byte[], int)} keeps the low byte of
 * each char, which is exact for Latin-1 strings only, and a request id is one by construction: an
 * HTTP header's value (whose chars are its bytes) that the request path accepted only as
 * {@code [A-Za-z0-9._:-]}, or one it made of hex digits ({@code http.RequestIds}). A byte that is
 * not plain sends the caller back to its char-by-char path, which is exact for any string.
 */
final class Latin1Ids {
  private static final VarHandle LONGS = MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.LITTLE_ENDIAN);
  private static final long HIGH_BITS = 0x8080808080808080L;
  private static final long ONES = 0x0101010101010101L;
  /** Eight 'a's: what pads the last word of an id, a char that is plain under either check. */
  private static final long PLAIN = 0x6161616161616161L;
  private static final byte[] HEX = {'0', '1', '2', '3', '4', '5', '6', '7', '8', '9', 'a', 'b', 'c', 'd', 'e', 'f'};

  private Latin1Ids() {}

  /**
   * Copies {@code id}, whose chars are Latin-1, into {@code b} at {@code p} (room for its length
   * ensured by the caller); true when every byte is ASCII.
   */
  static boolean copyAscii(String id, byte[] b, int p) {
    int n = copy(id, b, p);
    long any = 0;
    for (int i = 0; i < n; i += 8) {
      any |= word(b, p + i, n - i);
    }
    return (any & HIGH_BITS) == 0;
  }

  /**
   * {@link #copyAscii}, true only when moreover no byte needs escaping in a JSON string: none
   * below 0x20, no {@code "} and no {@code \}.
   */
  static boolean copyJsonPlain(String id, byte[] b, int p) {
    int n = copy(id, b, p);
    long flags = 0;
    for (int i = 0; i < n; i += 8) {
      long w = word(b, p + i, n - i);
      // a byte's high bit in each term: not ASCII; below 0x20; equal to '"'; equal to '\'. A borrow
      // can set a false flag only above a byte that set a true one, so "any" is exact.
      long quote = w ^ 0x2222222222222222L;
      long backslash = w ^ 0x5C5C5C5C5C5C5C5CL;
      flags |= w | (w - 0x2020202020202020L) & ~w | (quote - ONES) & ~quote | (backslash - ONES) & ~backslash;
    }
    return (flags & HIGH_BITS) == 0;
  }

  /**
   * Writes the 32 lowercase hex digits of an id the gateway made from these 128 bits
   * ({@link RequestRecord#requestIdHigh}) into {@code b} at {@code p} (room ensured by the caller):
   * the same bytes as copying its text, without reading the text.
   */
  static void hex(long high, long low, byte[] b, int p) {
    for (int i = 15; i >= 0; i--) {
      b[p + i] = HEX[(int) high & 0xF];
      b[p + 16 + i] = HEX[(int) low & 0xF];
      high >>>= 4;
      low >>>= 4;
    }
  }

  /** Copies the low byte of each of {@code id}'s chars into {@code b} at {@code p}; returns how many. */
  @SuppressWarnings("deprecation") // the low byte of each char is what is wanted: the chars are Latin-1
  private static int copy(String id, byte[] b, int p) {
    int n = id.length();
    id.getBytes(0, n, b, p);
    return n;
  }

  /** The eight bytes of {@code b} from {@code at}, or when fewer are {@code left}, those padded with 'a's. */
  private static long word(byte[] b, int at, int left) {
    if (left >= 8) {
      return (long) LONGS.get(b, at);
    }
    long w = PLAIN;
    for (int k = 0; k < left; k++) {
      int shift = 8 * k;
      w = w & ~(0xFFL << shift) | (b[at + k] & 0xFFL) << shift;
    }
    return w;
  }
}
