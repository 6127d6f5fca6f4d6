package io.oxllm.http;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CoderResult;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;

class Utf8Test {

  private static byte[] b(int... v) {
    byte[] out = new byte[v.length];
    for (int i = 0; i < v.length; i++) {
      out[i] = (byte) v[i];
    }
    return out;
  }

  private static byte[] cat(byte[]... parts) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    for (byte[] p : parts) {
      out.writeBytes(p);
    }
    return out.toByteArray();
  }

  private static byte[] utf8(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  private static void valid(byte[] bytes) {
    assertEquals(-1, Utf8.firstInvalid(bytes), () -> "valid: " + hex(bytes));
  }

  private static void invalidAt(int index, byte[] bytes) {
    assertEquals(index, Utf8.firstInvalid(bytes), () -> "invalid: " + hex(bytes));
  }

  private static String hex(byte[] bytes) {
    StringBuilder sb = new StringBuilder();
    for (byte x : bytes) {
      sb.append(String.format("%02X ", x & 0xFF));
    }
    return sb.toString().trim();
  }

  @Test
  void emptyAndAsciiAreValid() {
    valid(new byte[0]);
    valid(utf8("{\"model\":\"gpt-4o\"}"));
    byte[] all = new byte[128];
    for (int i = 0; i < 128; i++) {
      all[i] = (byte) i;
    }
    valid(all);
  }

  @Test
  void validSequencesOfEveryLengthAndTheirBoundaries() {
    valid(b(0xC2, 0x80));             // U+0080, smallest 2-byte
    valid(b(0xC3, 0xA9));             // é
    valid(b(0xDF, 0xBF));             // U+07FF, largest 2-byte
    valid(b(0xE0, 0xA0, 0x80));       // U+0800, smallest 3-byte
    valid(b(0xE2, 0x82, 0xAC));       // €
    valid(b(0xED, 0x9F, 0xBF));       // U+D7FF, just below the surrogates
    valid(b(0xEE, 0x80, 0x80));       // U+E000, just above
    valid(b(0xEF, 0xBF, 0xBF));       // U+FFFF
    valid(b(0xEF, 0xBB, 0xBF));       // BOM (valid UTF-8; JSON may reject it elsewhere)
    valid(b(0xF0, 0x90, 0x80, 0x80)); // U+10000, smallest 4-byte
    valid(b(0xF0, 0x9F, 0x98, 0x80)); // 😀
    valid(b(0xF4, 0x8F, 0xBF, 0xBF)); // U+10FFFF, the last code point
    valid(utf8("héllo 😀 模型 ü"));
    valid(utf8(new String(Character.toChars(0x10FFFF))));
  }

  @Test
  void everyScalarValueEncodedByTheJdkIsValid() {
    for (int cp = 0; cp <= 0x10FFFF; cp++) {
      if (cp >= 0xD800 && cp <= 0xDFFF) {
        continue;
      }
      byte[] enc = utf8(new String(Character.toChars(cp)));
      if (Utf8.firstInvalid(enc) != -1) {
        throw new AssertionError("U+" + Integer.toHexString(cp) + " (" + hex(enc) + ") reported invalid");
      }
    }
  }

  @Test
  void overlongEncodingsAreInvalid() {
    invalidAt(0, b(0xC0, 0x80));             // NUL
    invalidAt(0, b(0xC0, 0xAF));             // '/'
    invalidAt(0, b(0xC1, 0xBF));             // U+007F
    invalidAt(0, b(0xE0, 0x80, 0x80));
    invalidAt(0, b(0xE0, 0x9F, 0xBF));       // U+07FF in 3 bytes
    invalidAt(0, b(0xF0, 0x80, 0x80, 0x80));
    invalidAt(0, b(0xF0, 0x8F, 0xBF, 0xBF)); // U+FFFF in 4 bytes
  }

  @Test
  void aboveU10ffffIsInvalid() {
    invalidAt(0, b(0xF4, 0x90, 0x80, 0x80)); // U+110000
    invalidAt(0, b(0xF4, 0xBF, 0xBF, 0xBF));
    invalidAt(0, b(0xF5, 0x80, 0x80, 0x80));
    invalidAt(0, b(0xF7, 0xBF, 0xBF, 0xBF));
    invalidAt(0, b(0xF8, 0x88, 0x80, 0x80, 0x80)); // old 5-byte form
    invalidAt(0, b(0xFC, 0x84, 0x80, 0x80, 0x80, 0x80));
    invalidAt(0, b(0xFE));
    invalidAt(0, b(0xFF));
  }

  @Test
  void surrogatesAreInvalid() {
    invalidAt(0, b(0xED, 0xA0, 0x80)); // U+D800
    invalidAt(0, b(0xED, 0xAF, 0xBF)); // U+DBFF
    invalidAt(0, b(0xED, 0xB0, 0x80)); // U+DC00
    invalidAt(0, b(0xED, 0xBF, 0xBF)); // U+DFFF
    invalidAt(0, b(0xED, 0xA0, 0xBD, 0xED, 0xB8, 0x80)); // CESU-8 style pair for 😀
  }

  @Test
  void truncatedSequencesAreInvalid() {
    invalidAt(0, b(0xC3));
    invalidAt(0, b(0xE2));
    invalidAt(0, b(0xE2, 0x82));
    invalidAt(0, b(0xF0, 0x9F));
    invalidAt(0, b(0xF0, 0x9F, 0x98));
    // truncated at the end, after valid content
    invalidAt(2, cat(utf8("ab"), b(0xE2, 0x82)));
    invalidAt(3, cat(utf8("aé"), b(0xF0, 0x9F, 0x98)));
    // truncated in the middle: the lead byte is followed by a non-continuation
    invalidAt(1, cat(utf8("a"), b(0xE2, 0x82), utf8("b")));
    invalidAt(0, b(0xC3, 0x41));
    invalidAt(0, b(0xE2, 0x41, 0xAC));
    invalidAt(0, b(0xF0, 0x9F, 0x98, 0x41));
    invalidAt(0, b(0xC3, 0xC3, 0xA9));
  }

  @Test
  void strayContinuationBytesAreInvalid() {
    invalidAt(0, b(0x80));
    invalidAt(0, b(0xBF));
    invalidAt(1, cat(utf8("a"), b(0x80), utf8("b")));
    invalidAt(2, cat(b(0xC3, 0xA9), b(0xA9)));             // é plus one too many
    invalidAt(4, cat(b(0xF0, 0x9F, 0x98, 0x80), b(0x80))); // 😀 plus one too many
  }

  @Test
  void theIndexIsTheFirstBadSequence() {
    byte[] prefix = utf8("{\"model\":\"héllo 😀 模型\",\"x\":\"");
    invalidAt(prefix.length, cat(prefix, b(0xC0, 0x80), utf8("\"}")));
    invalidAt(prefix.length, cat(prefix, b(0xED, 0xA0, 0x80), b(0x80), utf8("\"}")));
    // two bad spots: the first is reported
    invalidAt(prefix.length, cat(prefix, b(0xFF), utf8("ok"), b(0x80)));
  }

  /**
   * Random byte strings built from valid sequences and junk: the validator agrees with the JDK's
   * strict decoder on whether the input is valid and on where the first malformed input starts.
   */
  @Test
  void agreesWithTheJdkDecoderOnRandomInput() {
    Random r = new Random(20240521L);
    for (int round = 0; round < 20_000; round++) {
      ByteArrayOutputStream out = new ByteArrayOutputStream();
      int parts = 1 + r.nextInt(8);
      for (int p = 0; p < parts; p++) {
        if (r.nextInt(4) == 0) {
          int n = 1 + r.nextInt(3);
          for (int i = 0; i < n; i++) {
            out.write(r.nextInt(256));
          }
        } else {
          int cp;
          do {
            cp = switch (r.nextInt(4)) {
              case 0 -> r.nextInt(0x80);
              case 1 -> 0x80 + r.nextInt(0x800 - 0x80);
              case 2 -> 0x800 + r.nextInt(0x10000 - 0x800);
              default -> 0x10000 + r.nextInt(0x110000 - 0x10000);
            };
          } while (cp >= 0xD800 && cp <= 0xDFFF);
          out.writeBytes(utf8(new String(Character.toChars(cp))));
        }
      }
      byte[] bytes = out.toByteArray();
      int expected = jdkFirstMalformed(bytes);
      int actual = Utf8.firstInvalid(bytes);
      if (expected != actual) {
        throw new AssertionError("round " + round + " " + hex(bytes) + ": jdk " + expected + ", Utf8 " + actual);
      }
    }
  }

  private static int jdkFirstMalformed(byte[] bytes) {
    CharsetDecoder d = StandardCharsets.UTF_8.newDecoder()
        .onMalformedInput(CodingErrorAction.REPORT)
        .onUnmappableCharacter(CodingErrorAction.REPORT);
    ByteBuffer in = ByteBuffer.wrap(bytes);
    CharBuffer out = CharBuffer.allocate(bytes.length * 2 + 2);
    CoderResult res = d.decode(in, out, true);
    if (res.isError()) {
      return in.position();
    }
    res = d.flush(out);
    return res.isError() ? in.position() : -1;
  }

  @Test
  void jdkOracleSanity() {
    assertEquals(-1, jdkFirstMalformed(utf8("a😀")));
    assertEquals(1, jdkFirstMalformed(b(0x41, 0xC0, 0x80)));
    assertEquals(0, jdkFirstMalformed(Arrays.copyOf(utf8("😀"), 3)));
  }
}
