package io.oxllm.http;

/**
 * Strict UTF-8 validation of a request body (SPEC: a body that is not UTF-8 is a 400). The
 * streaming JSON walk skips values it does not need without decoding them, so it would let bad
 * bytes inside those values through; this closes that gap with a single pass that is nearly free
 * on ASCII.
 */
final class Utf8 {
  private Utf8() {}

  /** Index of the first byte of an invalid sequence, or -1 when the whole buffer is valid UTF-8. */
  static int firstInvalid(byte[] buf) {
    int n = buf.length;
    int i = 0;
    while (i < n) {
      int b = buf[i];
      if (b >= 0) {
        i++;
        continue;
      }
      b &= 0xFF;
      int extra;
      int min;
      if (b >= 0xC2 && b <= 0xDF) {
        extra = 1;
        min = 0x80;
      } else if (b >= 0xE0 && b <= 0xEF) {
        extra = 2;
        min = 0x800;
      } else if (b >= 0xF0 && b <= 0xF4) {
        extra = 3;
        min = 0x10000;
      } else {
        return i;
      }
      if (i + extra >= n) {
        return i;
      }
      int cp = b & (0x3F >> extra);
      for (int k = 1; k <= extra; k++) {
        int c = buf[i + k] & 0xFF;
        if ((c & 0xC0) != 0x80) {
          return i;
        }
        cp = (cp << 6) | (c & 0x3F);
      }
      if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) {
        return i;
      }
      i += extra + 1;
    }
    return -1;
  }
}
