package io.oxllm.http;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** {@link ApiRouter#isJson}: which request Content-Types count as JSON (else 415). */
class ApiRouterJsonTypeTest {

  @ParameterizedTest
  @ValueSource(strings = {
      "application/json",
      "application/json; charset=utf-8",
      "application/json;charset=UTF-8",
      "application/json ; charset=\"utf-8\"",
      "APPLICATION/JSON",
      "Application/Json; Charset=UTF-8",
      " application/json ",
      "application/vnd.api+json",
      "application/problem+json",
      "application/VND.API+JSON; charset=utf-8",
  })
  void jsonTypesAreAccepted(String type) {
    assertTrue(ApiRouter.isJson(type), type);
  }

  @ParameterizedTest
  @ValueSource(strings = {
      "text/plain",
      "text/json",
      "text/plain; charset=utf-8",
      "application/jsonx",
      "application/json-patch",
      "application/xjson",
      "application/x-www-form-urlencoded",
      "multipart/form-data",
      "multipart/form-data; boundary=----x",
      "application/octet-stream",
      "text/vnd.api+json",
      "json",
      "application",
      "",
  })
  void otherTypesAreRefused(String type) {
    assertFalse(ApiRouter.isJson(type), type);
  }
}
