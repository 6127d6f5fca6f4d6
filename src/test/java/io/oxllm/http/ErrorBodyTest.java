package io.oxllm.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.core.buffer.Buffer;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Whether a 2xx body is an error object: a look at its first bytes, then a read of the whole. */
class ErrorBodyTest {
  @Test
  void onlyABodyThatOpensWithTheErrorKeyMayBeOne() {
    assertTrue(ErrorBody.mayBeOne(Buffer.buffer("{\"error\":{\"message\":\"x\"}}")));
    assertTrue(ErrorBody.mayBeOne(Buffer.buffer(" \r\n{\n  \"error\" : null}")));
    assertFalse(ErrorBody.mayBeOne(Buffer.buffer("{\"id\":\"c1\",\"error\":{}}")), "an answer that has one later");
    assertFalse(ErrorBody.mayBeOne(Buffer.buffer("{\"errors\":[]}")), "another key that begins the same");
    assertFalse(ErrorBody.mayBeOne(Buffer.buffer("[{\"error\":1}]")));
    assertFalse(ErrorBody.mayBeOne(Buffer.buffer("{\"err")), "cut before the key ends: an answer, not held");
    assertFalse(ErrorBody.mayBeOne(Buffer.buffer("")));
  }

  @Test
  void itsMessageComesFromTheWholeBody() {
    assertEquals("overloaded", ErrorBody.message(List.of(Buffer.buffer("{\"error\":{\"mess"), Buffer.buffer("age\":\"overloaded\"}}"))));
    assertNull(ErrorBody.message(List.of(Buffer.buffer("{\"error\":null,\"id\":\"c1\"}"))));
    assertNull(ErrorBody.message(List.of(Buffer.buffer("{\"error\":"))), "not JSON: an answer of some kind");
  }
}
