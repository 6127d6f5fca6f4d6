package io.oxllm.telemetry;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * The request id copy's checks, eight bytes at a time and in the tail, against the plain rule
 * char by char: every Latin-1 char at every place of ids up to 20 long, at two offsets in the
 * buffer, and random ids made only of plain chars (which no borrow between bytes may flag).
 */
class Latin1IdsTest {
  private static boolean ascii(char c) {
    return c < 0x80;
  }

  private static boolean jsonPlain(char c) {
    return c >= 0x20 && c < 0x80 && c != '"' && c != '\\';
  }

  @Test
  void everyLatin1CharAtEveryPlaceIsJudgedAsItsOwnRuleSays() {
    for (int n = 1; n <= 20; n++) {
      for (int at = 0; at < n; at++) {
        for (char c = 0; c <= 0xFF; c++) {
          char[] chars = new char[n];
          Arrays.fill(chars, 'a');
          chars[at] = c;
          String id = new String(chars);
          for (int offset : new int[] {0, 3}) {
            byte[] b = new byte[offset + n + 5];
            Arrays.fill(b, (byte) 0x55);
            String where = "char " + (int) c + " at " + at + " of " + n + ", offset " + offset;
            assertEquals(ascii(c), Latin1Ids.copyAscii(id, b, offset), where);
            assertCopied(id, b, offset);
            Arrays.fill(b, (byte) 0x55);
            assertEquals(jsonPlain(c), Latin1Ids.copyJsonPlain(id, b, offset), where);
            assertCopied(id, b, offset);
          }
        }
      }
    }
  }

  @Test
  void idsOfPlainCharsOnlyArePlainWhateverTheirMix() {
    Random random = new Random(7);
    for (int i = 0; i < 20_000; i++) {
      char[] chars = new char[1 + random.nextInt(64)];
      for (int k = 0; k < chars.length; k++) {
        char c;
        do {
          c = (char) (0x20 + random.nextInt(0x60));
        } while (!jsonPlain(c));
        chars[k] = c;
      }
      String id = new String(chars);
      byte[] b = new byte[chars.length + 1];
      Arrays.fill(b, (byte) 0x55);
      assertTrue(Latin1Ids.copyJsonPlain(id, b, 1), id);
      assertTrue(Latin1Ids.copyAscii(id, b, 1), id);
      assertCopied(id, b, 1);
    }
  }

  /** The id's chars went in as bytes at {@code offset}, and nothing around them changed. */
  private static void assertCopied(String id, byte[] b, int offset) {
    byte[] expected = new byte[b.length];
    Arrays.fill(expected, (byte) 0x55);
    System.arraycopy(id.getBytes(StandardCharsets.ISO_8859_1), 0, expected, offset, id.length());
    assertArrayEquals(expected, b, id);
  }
}
