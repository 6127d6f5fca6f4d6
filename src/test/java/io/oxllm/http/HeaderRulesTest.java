package io.oxllm.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import io.vertx.core.MultiMap;
import org.junit.jupiter.api.Test;

/** An upstream's Connection header makes the headers it names hop-by-hop: they stop at the gateway. */
class HeaderRulesTest {

  private static MultiMap upstream(String connection) {
    MultiMap h = MultiMap.caseInsensitiveMultiMap()
        .add("content-type", "application/json")
        .add("x-ratelimit-remaining-requests", "1")
        .add("x-ratelimit-limit-tokens", "9")
        .add("x-request-id", "up-1");
    return connection == null ? h : h.add("connection", connection);
  }

  @Test
  void aTracestateOver512CharactersLosesItsLongMembersFirstThenMembersFromTheEnd() {
    String a = "a=" + "1".repeat(98); // 100 characters each
    String fits = String.join(",", a, a, a, a, a); // 504
    assertEquals(fits, HeaderRules.traceState(MultiMap.caseInsensitiveMultiMap().add("tracestate", fits)));
    String longOne = "long=" + "2".repeat(130);
    assertEquals(String.join(",", a, a, a), HeaderRules.cutTraceState(String.join(",", a, longOne, a, a, longOne, longOne)
        + "," + longOne), "the long ones go first: what is left fits");
    assertEquals(fits, HeaderRules.cutTraceState(fits + "," + a + ", b=2"), "then members from the end");
    assertEquals(fits, HeaderRules.traceState(MultiMap.caseInsensitiveMultiMap().add("tracestate", String.join(",", a, a, a))
        .add("tracestate", String.join(",", a, a, a))), "lines joined, then cut");
    assertNull(HeaderRules.cutTraceState(longOne + "," + longOne + ",,"), "no member left");
  }

  @Test
  void headersNamedInConnectionStayBehind() {
    MultiMap client = MultiMap.caseInsensitiveMultiMap();
    HeaderRules.downstream(upstream("X-RateLimit-Remaining-Requests , x-request-id"), client, false);
    assertNull(client.get("x-ratelimit-remaining-requests"));
    assertNull(client.get("x-upstream-request-id"));
    assertEquals("9", client.get("x-ratelimit-limit-tokens"));
    assertEquals("application/json", client.get("content-type"));
  }

  @Test
  void keepAliveOrCloseNamesNothing() {
    for (String connection : new String[] {null, "keep-alive", "Close"}) {
      MultiMap client = MultiMap.caseInsensitiveMultiMap();
      HeaderRules.downstream(upstream(connection), client, false);
      assertEquals("1", client.get("x-ratelimit-remaining-requests"), String.valueOf(connection));
      assertEquals("up-1", client.get("x-upstream-request-id"), String.valueOf(connection));
    }
  }

  @Test
  void modelNamesBecomeHeaderTextPercentEncodedOnlyWhenTheyMustBe() {
    assertEquals("llama3.2:8b-instruct/q4", HeaderRules.headerText("llama3.2:8b-instruct/q4"));
    assertEquals("%E6%A8%A1%E5%9E%8B", HeaderRules.headerText("模型"));
    assertEquals("a/b%C3%A9", HeaderRules.headerText("a/bé"));
    assertEquals("50%25", HeaderRules.headerText("50%"), "% itself, so the encoding reads back");
    assertEquals("%20a b%20", HeaderRules.headerText(" a b "), "clients trim spaces at the ends");
  }
}
