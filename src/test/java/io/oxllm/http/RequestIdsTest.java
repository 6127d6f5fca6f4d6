package io.oxllm.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.HashSet;
import java.util.Set;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class RequestIdsTest {
  private static final Pattern GENERATED = Pattern.compile("[0-9a-f]{32}");

  private static void assertGenerated(String id, String from) {
    assertTrue(GENERATED.matcher(id).matches(), () -> "generated id '" + id + "' for input '" + from + "'");
  }

  @ParameterizedTest
  @ValueSource(strings = {
      "a", "Z", "0", ".", "_", ":", "-",
      "abc-123", "req_01HZX.trace:span-7", "A.b_C:d-E",
      "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ._:-",
      "550e8400-e29b-41d4-a716-446655440000",
  })
  void validIdsAreKept(String id) {
    assertTrue(RequestIds.isValid(id));
    RequestId kept = RequestIds.accept(id);
    assertSame(id, kept.text());
    assertEquals(0, kept.high() | kept.low(), "a client's id has no bits: the encoders copy its text");
  }

  @Test
  void exactly128CharactersIsKept() {
    String id = "a".repeat(127) + "-";
    assertEquals(128, id.length());
    assertSame(id, RequestIds.accept(id).text());
  }

  @Test
  void over128CharactersIsReplaced() {
    String id = "a".repeat(129);
    String got = RequestIds.accept(id).text();
    assertNotEquals(id, got);
    assertGenerated(got, id);
  }

  @ParameterizedTest
  @ValueSource(strings = {
      "", " ", "has space", " leading", "trailing ", "a/b", "a\\b", "a,b", "a;b", "a+b", "a=b", "a@b",
      "a#b", "a?b", "a%20b", "a\"b", "a'b", "a\tb", "a\nb", "a\r\nX-Evil: 1", "é", "ü-id", "模型",
      "😀", "id\u0000", "a\u00a0b", "ａ", // fullwidth a
      "\u0660", // Arabic-Indic zero: a Unicode digit, not [0-9]
  })
  void invalidIdsAreReplaced(String id) {
    assertFalse(RequestIds.isValid(id));
    String got = RequestIds.accept(id).text();
    assertNotEquals(id, got);
    assertGenerated(got, id);
  }

  @Test
  void nullIsReplaced() {
    assertFalse(RequestIds.isValid(null));
    assertGenerated(RequestIds.accept(null).text(), null);
  }

  @Test
  void generatedIdsAre32LowercaseHexAndDistinct() {
    Set<String> seen = new HashSet<>();
    for (int i = 0; i < 10_000; i++) {
      String id = RequestIds.generate().text();
      assertGenerated(id, "generate()");
      assertTrue(RequestIds.isValid(id), "a generated id passes the client-id check too");
      assertTrue(seen.add(id), () -> "duplicate generated id " + id);
    }
    assertEquals(10_000, seen.size());
  }

  @Test
  void aGeneratedIdsBitsSpellItsText() {
    // the telemetry encoders write the id from the bits (RequestRecord.requestIdHigh): they must be its text
    for (int i = 0; i < 10_000; i++) {
      RequestId id = RequestIds.generate();
      assertEquals(String.format("%016x%016x", id.high(), id.low()), id.text());
    }
  }

  @Test
  void generatedIdsUseEveryHexDigitInEveryPosition() {
    // Catches a shift/mask slip that would freeze some positions (e.g. always '0').
    boolean[][] used = new boolean[32][16];
    for (int i = 0; i < 10_000; i++) {
      String id = RequestIds.generate().text();
      for (int p = 0; p < 32; p++) {
        used[p][Character.digit(id.charAt(p), 16)] = true;
      }
    }
    for (int p = 0; p < 32; p++) {
      for (int d = 0; d < 16; d++) {
        assertTrue(used[p][d], "position " + p + " never had digit " + Integer.toHexString(d));
      }
    }
  }
}
