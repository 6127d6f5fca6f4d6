package io.oxllm.telemetry;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;

import org.junit.jupiter.api.Test;

/** Strings parsed anew for each request come back as the shared instances, anything else as it was. */
class SharedStringsTest {
  @Test
  void theApisPathsComeBackAsTheirConstants() {
    assertSame(SharedStrings.CHAT_PATH, SharedStrings.path(new String("/v1/chat/completions")));
    assertSame(SharedStrings.COMPLETIONS_PATH, SharedStrings.path(new String("/v1/completions")));
    assertSame(SharedStrings.EMBEDDINGS_PATH, SharedStrings.path(new String("/v1/embeddings")));
    String other = new String("/v1/other");
    assertSame(other, SharedStrings.path(other));
  }

  @Test
  void theOpenAiFinishReasonsComeBackAsConstantsOthersAsTheyAre() {
    for (String reason : new String[] {"stop", "length", "tool_calls", "content_filter", "function_call"}) {
      String parsed = new String(reason);
      assertSame(reason, SharedStrings.finishReason(parsed));
    }
    String custom = new String("eos_token");
    assertSame(custom, SharedStrings.finishReason(custom));
    assertNull(SharedStrings.finishReason(null));
  }

  @Test
  void anEqualNameComesBackAsTheConfiguredInstance() {
    String configured = "llama3";
    String upstream = "llama3:8b";
    assertSame(configured, SharedStrings.sameAs(new String("llama3"), configured, upstream));
    assertSame(upstream, SharedStrings.sameAs(new String("llama3:8b"), configured, upstream));
    String parsed = new String("gpt-4o");
    assertSame(parsed, SharedStrings.sameAs(parsed, configured, upstream));
    assertSame(parsed, SharedStrings.sameAs(parsed, null, null));
    assertNull(SharedStrings.sameAs(null, configured, upstream));
    assertEquals("llama3", SharedStrings.sameAs("llama3", null, configured));
  }
}
