package io.oxllm.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;
import org.junit.jupiter.api.Test;

class ConfigParserTest {
  private static final String ECHO = "[[providers]]\nname = \"echo\"\ntype = \"echo\"\n";
  private static final String LOCAL = """
      [[providers]]
      name = "local"
      type = "openai"
      base_url = "http://127.0.0.1:9000/v1"
      """;

  static ConfigResult parse(String toml, Function<String, String> env) {
    return ConfigParser.parse(TomlConfigProcessor.parse(toml), env);
  }

  static ConfigResult parse(String toml) {
    return parse(toml, k -> null);
  }

  static GatewayConfig valid(String toml) {
    ConfigResult r = parse(toml);
    assertEquals(List.of(), r.problems());
    assertTrue(r.ok());
    return r.config();
  }

  static List<String> paths(ConfigResult r) {
    assertFalse(r.ok());
    assertNull(r.config());
    return r.problems().stream().map(ConfigProblem::path).toList();
  }

  static String message(ConfigResult r, String path) {
    return r.problems().stream().filter(p -> p.path().equals(path)).findFirst()
        .orElseThrow(() -> new AssertionError("no problem at " + path + ": " + r.problems()))
        .message();
  }

  @Test
  void defaultsApplyWhenKeysAreAbsent() {
    GatewayConfig c = valid(ECHO);
    ServerConfig s = c.server();
    assertEquals("127.0.0.1", s.host());
    assertEquals(8080, s.port());
    assertEquals(ServerConfig.BindFamily.IPV4, s.bindFamily());
    assertEquals(0, s.instances());
    assertEquals(10_485_760L, s.maxBodyBytes());
    assertEquals(30, s.shutdownGraceSecs());
    assertEquals("", s.adminToken());
    assertEquals(List.of("*"), s.corsOrigins());
    assertEquals(2000L, s.configScanMs());
    assertEquals(60L, s.bodyTimeoutSecs());
    assertEquals(60L, s.idleTimeoutSecs());
    assertEquals(0L, s.bodyMemoryBytes());
    assertEquals(List.of(), c.auth().apiKeys());
    assertEquals(3, c.routing().maxAttempts());
    assertEquals(Set.of(408, 429, 500, 502, 503, 504, 529), c.routing().retryOn());
    assertTrue(c.routing().injectStreamUsage());
    assertEquals(new Timeouts(5000, 60000, 60000, 600000), c.timeouts());
    assertEquals(new BreakerConfig(3, 60, 900, 300, 30, 3600), c.breaker());
    assertEquals(new TelemetryConfig("", "oxllm", 1024, "", 100, 10), c.telemetry());
    assertEquals(Map.of(), c.virtualModels());
  }

  @Test
  void echoProviderDefaults() {
    ProviderConfig echo = valid(ECHO).provider("echo");
    assertEquals(ProviderType.ECHO, echo.type());
    assertNull(echo.baseUrl());
    assertFalse(echo.hasApiKey());
    assertEquals(List.of("echo"), echo.models());
    assertTrue(echo.enabled());
    assertEquals(Map.of(), echo.headers());
    assertEquals(256, echo.maxConnections());
    assertEquals(new Timeouts(5000, 60000, 60000, 600000), echo.timeouts());
  }

  @Test
  void openaiProviderDefaultsAndFields() {
    GatewayConfig c = valid("""
        [[providers]]
        name = "up"
        base_url = "https://api.example.com/v1/"
        api_key = "k"
        headers = { "X-Title" = "oxllm" }
        max_connections = 10
        enabled = true
        """);
    ProviderConfig p = c.provider("up");
    assertEquals(ProviderType.OPENAI, p.type()); // type defaults to openai
    assertEquals(new UpstreamUrl(true, "api.example.com", 443, "/v1"), p.baseUrl());
    assertEquals("k", p.apiKey());
    assertEquals(List.of(), p.models());
    assertEquals(Map.of("X-Title", "oxllm"), p.headers());
    assertEquals(10, p.maxConnections());
  }

  @Test
  void providerTimeoutsOverrideGlobalFieldByField() {
    GatewayConfig c = valid("""
        [timeouts]
        connect_ms = 2000
        idle_ms = 7000
        [[providers]]
        name = "a"
        base_url = "http://a"
        timeouts = { connect_ms = 100, total_ms = 9000 }
        [[providers]]
        name = "b"
        base_url = "http://b"
        """);
    assertEquals(new Timeouts(2000, 60000, 7000, 600000), c.timeouts());
    assertEquals(new Timeouts(100, 60000, 7000, 9000), c.provider("a").timeouts());
    assertEquals(c.timeouts(), c.provider("b").timeouts());
  }

  @Test
  void explicitValuesAreRead() {
    GatewayConfig c = valid("""
        [server]
        host = "0.0.0.0"
        port = 0
        bind_family = "dual"
        instances = 4
        cors_origins = ["https://app.example.com", "http://localhost:3000"]
        admin_token = "t"
        [auth]
        api_keys = ["a", "b"]
        [routing]
        max_attempts = 5
        retry_on = [500, 503]
        inject_stream_usage = false
        [breaker]
        open_base_secs = 10
        open_max_secs = 10
        [telemetry]
        otlp_endpoint = "http://127.0.0.1:4318"
        request_log = "/tmp/oxllm.jsonl"
        """ + ECHO);
    assertEquals(0, c.server().port());
    assertEquals(ServerConfig.BindFamily.DUAL, c.server().bindFamily());
    assertEquals(4, c.server().instances());
    assertEquals(List.of("https://app.example.com", "http://localhost:3000"),
        c.server().corsOrigins());
    assertEquals(List.of("a", "b"), c.auth().apiKeys());
    assertEquals(Set.of(500, 503), c.routing().retryOn());
    assertFalse(c.routing().injectStreamUsage());
    assertEquals(10, c.breaker().openMaxSecs());
    assertEquals("http://127.0.0.1:4318", c.telemetry().otlpEndpoint());
  }

  @Test
  void virtualModelChainsKeepOrder() {
    GatewayConfig c = valid(LOCAL + ECHO + """
        [virtual_models]
        smart = [{ provider = "local", model = "big" }, { provider = "echo", model = "echo" }]
        fast = [{ provider = "echo", model = "echo" }]
        """);
    assertEquals(List.of("smart", "fast"), List.copyOf(c.virtualModels().keySet()));
    assertEquals(List.of(new ChainTarget("local", "big"), new ChainTarget("echo", "echo")),
        c.virtualModels().get("smart"));
  }

  @Test
  void severalErrorsAreAllReportedWithExactPaths() {
    ConfigResult r = parse("""
        [server]
        port = 70000
        bind_family = "ipv5"
        [timeouts]
        idle_ms = 0
        [[providers]]
        name = "a"
        base_url = "ftp://x"
        [[providers]]
        name = "a"
        type = "echo"
        [[providers]]
        name = "c"
        base_url = "http://c"
        timeouts = { first_byte_ms = -1 }
        [virtual_models]
        smart = [{ provider = "c", model = "m" }, { provider = "nope", model = "m" }]
        """);
    assertEquals(List.of(
        "server.port",
        "server.bind_family",
        "timeouts.idle_ms",
        "providers[0].base_url",
        "providers[1].name",
        "providers[2].timeouts.first_byte_ms",
        "virtual_models.smart[1].provider"), paths(r));
    assertEquals("must be between 0 and 65535, got 70000", message(r, "server.port"));
    assertTrue(message(r, "providers[1].name").contains("duplicate provider name \"a\""));
    assertTrue(message(r, "virtual_models.smart[1].provider").contains("unknown provider \"nope\""));
  }

  @Test
  void unknownKeyAtTopLevel() {
    ConfigResult r = parse(ECHO + "[servr]\nport = 1\n");
    assertEquals(List.of("servr"), paths(r));
    assertTrue(message(r, "servr").contains("did you mean \"server\""), message(r, "servr"));
  }

  @Test
  void unknownKeyInServer() {
    ConfigResult r = parse("[server]\nprot = 8080\n" + ECHO);
    assertEquals(List.of("server.prot"), paths(r));
    assertEquals("unknown key \"prot\" (did you mean \"port\"?)", message(r, "server.prot"));
  }

  @Test
  void unknownKeyInEveryFixedTable() {
    ConfigResult r = parse("""
        [auth]
        keys = []
        [routing]
        attempts = 1
        [timeouts]
        connect = 1
        [breaker]
        x = 1
        [telemetry]
        endpoint = ""
        """ + ECHO);
    assertEquals(List.of("auth.keys", "routing.attempts", "timeouts.connect", "breaker.x",
        "telemetry.endpoint"), paths(r));
  }

  @Test
  void unknownKeyInProviderAndInItsTimeouts() {
    ConfigResult r = parse("""
        [[providers]]
        name = "p"
        base_url = "http://p"
        apikey = "k"
        timeouts = { connect_ms = 5, read_ms = 5 }
        """);
    assertEquals(List.of("providers[0].timeouts.read_ms", "providers[0].apikey"), paths(r));
    assertTrue(message(r, "providers[0].apikey").contains("did you mean \"api_key\""));
  }

  @Test
  void unknownKeyInChainEntry() {
    ConfigResult r = parse(ECHO + """
        [virtual_models]
        v = [{ provider = "echo", model = "echo", weight = 2 }]
        """);
    assertEquals(List.of("virtual_models.v[0].weight"), paths(r));
  }

  @Test
  void duplicateProviderNames() {
    ConfigResult r = parse(ECHO + ECHO);
    assertEquals(List.of("providers[1].name"), paths(r));
    assertTrue(message(r, "providers[1].name").contains("providers[0]"));
  }

  @Test
  void invalidProviderNameAndType() {
    ConfigResult r = parse("""
        [[providers]]
        name = "my provider"
        type = "anthropic"
        base_url = "http://x"
        """ + ECHO);
    assertEquals(List.of("providers[0].name", "providers[0].type"), paths(r));
  }

  @Test
  void chainNamingDisabledProvider() {
    ConfigResult r = parse(ECHO + LOCAL + "enabled = false\n" + """
        [virtual_models]
        v = [{ provider = "local", model = "m" }]
        """);
    assertEquals(List.of("virtual_models.v[0].provider"), paths(r));
    assertTrue(message(r, "virtual_models.v[0].provider").contains("disabled"));
  }

  @Test
  void chainWithSameTargetTwice() {
    ConfigResult r = parse(ECHO + LOCAL + """
        [virtual_models]
        v = [
          { provider = "echo", model = "echo" },
          { provider = "local", model = "echo" },
          { provider = "echo", model = "echo" },
        ]
        """);
    assertEquals(List.of("virtual_models.v[2]"), paths(r));
    assertTrue(message(r, "virtual_models.v[2]").contains("echo/echo"));
  }

  @Test
  void emptyChainMissingFieldsAndBadShapes() {
    ConfigResult r = parse(ECHO + """
        [virtual_models]
        empty = []
        partial = [{ provider = "echo" }, { model = "" , provider = "echo" }, "echo"]
        notalist = "echo"
        "a/b" = [{ provider = "echo", model = "echo" }]
        """);
    assertEquals(List.of(
        "virtual_models.empty",
        "virtual_models.partial[0].model",
        "virtual_models.partial[1].model",
        "virtual_models.partial[2]",
        "virtual_models.notalist",
        "virtual_models.\"a/b\""), paths(r));
    assertTrue(message(r, "virtual_models.empty").contains("empty"));
    assertEquals("is required", message(r, "virtual_models.partial[0].model"));
    assertEquals("must not be empty", message(r, "virtual_models.partial[1].model"));
    assertTrue(message(r, "virtual_models.\"a/b\"").contains("'/'"));
  }

  @Test
  void badUrls() {
    ConfigResult r = parse("""
        [[providers]]
        name = "ftp"
        base_url = "ftp://files.example.com/v1"
        [[providers]]
        name = "nohost"
        base_url = "http:///v1"
        [[providers]]
        name = "garbage"
        base_url = "not a url"
        [[providers]]
        name = "word"
        base_url = "localhost"
        [[providers]]
        name = "missing"
        [telemetry]
        otlp_endpoint = "127.0.0.1:4318"
        """ + ECHO);
    assertEquals(List.of("telemetry.otlp_endpoint", "providers[0].base_url",
        "providers[1].base_url", "providers[2].base_url", "providers[3].base_url",
        "providers[4].base_url"), paths(r));
    assertEquals("\"ftp://files.example.com/v1\" must be an http:// or https:// URL",
        message(r, "providers[0].base_url"));
    assertTrue(message(r, "providers[1].base_url").contains("has no host"));
    assertTrue(message(r, "providers[2].base_url").contains("not a valid URL"));
    assertEquals("is required for type openai", message(r, "providers[4].base_url"));
  }

  @Test
  void echoMustNotHaveBaseUrlOrApiKey() {
    ConfigResult r = parse("""
        [[providers]]
        name = "echo"
        type = "echo"
        base_url = "http://x"
        api_key = ""
        """);
    assertEquals(List.of("providers[0].base_url", "providers[0].api_key"), paths(r));
  }

  @Test
  void outOfRangeValues() {
    ConfigResult r = parse("""
        [server]
        port = -1
        instances = -1
        max_body_bytes = 0
        shutdown_grace_secs = -5
        config_scan_ms = 99
        body_timeout_secs = 86401
        idle_timeout_secs = -1
        body_memory_bytes = -1
        [routing]
        max_attempts = 0
        retry_on = [404, 99, 600]
        [timeouts]
        connect_ms = 0
        [breaker]
        failure_threshold = 0
        open_base_secs = 120
        open_max_secs = 60
        rate_limit_default_secs = 0
        [telemetry]
        queue_capacity = 0
        [[providers]]
        name = "p"
        base_url = "http://p"
        max_connections = 100001
        """);
    assertEquals(List.of(
        "server.port", "server.instances", "server.max_body_bytes",
        "server.shutdown_grace_secs", "server.config_scan_ms", "server.body_timeout_secs",
        "server.idle_timeout_secs", "server.body_memory_bytes", "routing.max_attempts", "routing.retry_on[1]", "routing.retry_on[2]",
        "timeouts.connect_ms",
        "breaker.failure_threshold", "breaker.open_max_secs", "breaker.rate_limit_default_secs",
        "telemetry.queue_capacity",
        "providers[0].max_connections"), paths(r));
    assertEquals("must be >= open_base_secs (120), got 60", message(r, "breaker.open_max_secs"));
    assertEquals("must be between 100 and 599, got 99", message(r, "routing.retry_on[1]"));
    assertEquals("must be >= 1, got 0", message(r, "timeouts.connect_ms"));
  }

  @Test
  void hugeValuesAreRangeProblems() {
    ConfigResult r = parse("""
        [timeouts]
        total_ms = 99999999999999999999
        idle_ms = 2147483648
        """ + ECHO);
    assertEquals(List.of("timeouts.idle_ms", "timeouts.total_ms"), paths(r));
    assertEquals("must be <= 2147483647, got 99999999999999999999", message(r, "timeouts.total_ms"));
    assertEquals("must be <= 2147483647, got 2147483648", message(r, "timeouts.idle_ms"));
  }

  @Test
  void openBaseAboveDefaultMaxIsReportedOnBase() {
    ConfigResult r = parse("[breaker]\nopen_base_secs = 1000\n" + ECHO);
    assertEquals(List.of("breaker.open_base_secs"), paths(r));
  }

  @Test
  void wrongTypes() {
    ConfigResult r = parse("""
        server = { port = "abc", host = 1, cors_origins = "*" }
        auth = []
        [routing]
        max_attempts = 2.5
        inject_stream_usage = "yes"
        retry_on = ["500"]
        [[providers]]
        name = 7
        base_url = "http://x"
        models = "m"
        enabled = 1
        headers = { "X-Num" = 1, "Bad Header" = "v" }
        timeouts = 5
        """ + ECHO);
    assertEquals(List.of(
        "server.host", "server.port", "server.cors_origins", "auth",
        "routing.max_attempts", "routing.retry_on[0]", "routing.inject_stream_usage",
        "providers[0].name", "providers[0].models", "providers[0].enabled",
        "providers[0].headers.X-Num", "providers[0].headers.\"Bad Header\"",
        "providers[0].timeouts"), paths(r));
    assertEquals("must be an integer, got string \"abc\"", message(r, "server.port"));
    assertEquals("must be an integer, got 2.5", message(r, "routing.max_attempts"));
    assertEquals("must be a table, got an array", message(r, "auth"));
  }

  @Test
  void providerHeadersMayNotSetWhatTheGatewaySetsPerRequest() {
    ConfigResult r = parse("""
        [[providers]]
        name = "a"
        base_url = "http://127.0.0.1:1/v1"
        api_key = "sk-a"
        headers = { "Content-Length" = "3", "Host" = "evil.example", "X-Request-Id" = "fixed", \
        "traceparent" = "t", "Connection" = "close", "Authorization" = "Bearer other", "X-Title" = "ok" }
        [[providers]]
        name = "b"
        base_url = "http://127.0.0.1:2/v1"
        headers = { "Authorization" = "Basic dTpw", "User-Agent" = "team-agent/1", "X-Dup" = "1", "x-dup" = "2", \
        "Content-Encoding" = "gzip", "X-Name" = "café" }
        """ + ECHO);
    assertEquals(List.of(
        "providers[0].headers.Content-Length", "providers[0].headers.Host", "providers[0].headers.X-Request-Id",
        "providers[0].headers.traceparent", "providers[0].headers.Connection", "providers[0].headers.Authorization",
        "providers[1].headers.x-dup", "providers[1].headers.Content-Encoding", "providers[1].headers.X-Name"),
        paths(r));
    assertEquals("is set by the gateway for each request; it cannot be configured",
        message(r, "providers[0].headers.Content-Length"));
    assertEquals("is a hop-by-hop header, never forwarded; it cannot be configured",
        message(r, "providers[0].headers.Connection"));
    assertEquals("would replace the api_key's Authorization; give one or the other",
        message(r, "providers[0].headers.Authorization"));
  }

  @Test
  void providerHeadersMayCarryAnAuthorizationWithoutApiKeyAndAUserAgent() {
    GatewayConfig c = valid("""
        [[providers]]
        name = "b"
        base_url = "http://127.0.0.1:2/v1"
        headers = { "Authorization" = "Basic dTpw", "User-Agent" = "team-agent/1" }
        """ + ECHO);
    assertEquals("Basic dTpw", c.providers().get(0).headers().get("Authorization"));
    assertEquals("team-agent/1", c.providers().get(0).headers().get("User-Agent"));
  }

  @Test
  void integralFloatsAreAcceptedForIntegerFields() {
    GatewayConfig c = valid("[server]\nport = 8081.0\n" + ECHO);
    assertEquals(8081, c.server().port());
  }

  @Test
  void providersMustBeArrayOfTables() {
    ConfigResult r = parse("[providers]\nname = \"x\"\n");
    assertEquals(List.of("providers", "providers"), paths(r));
    assertTrue(r.problems().get(0).message().contains("[[providers]]"));
  }

  @Test
  void zeroEnabledProvidersIsAnError() {
    assertEquals(List.of("providers"), paths(parse("")));
    ConfigResult r = parse(ECHO + "enabled = false\n");
    assertEquals(List.of("providers"), paths(r));
    assertTrue(message(r, "providers").contains("disabled"));
  }

  @Test
  void emptyApiKeyEntryIsRejected() {
    assertEquals(List.of("auth.api_keys[1]"), paths(parse("[auth]\napi_keys = [\"a\", \"\"]\n" + ECHO)));
  }

  @Test
  void keysAndTokensThatCannotGoInAHeaderAreRefusedWithoutBeingShown() {
    Map<String, String> env = Map.of("KEY", "sk-secret-1\r"); // from a file with Windows line ends
    ConfigResult r = parse("""
        [server]
        admin_token = " tok "
        [auth]
        api_keys = ["ok-1", "t\u00f6k", "a\\tb"]
        [[providers]]
        name = "up"
        base_url = "http://127.0.0.1:9000/v1"
        api_key = "${KEY}"
        """, env::get);
    assertEquals(List.of("server.admin_token", "auth.api_keys[1]", "auth.api_keys[2]", "providers[0].api_key"),
        paths(r));
    String key = message(r, "providers[0].api_key");
    assertTrue(key.contains("character 12 of 12 is a carriage return"), key);
    assertFalse(key.contains("secret"), "the value is not shown: " + key);
    assertTrue(message(r, "server.admin_token").contains("character 1 of 5 is a space"));
    assertTrue(message(r, "auth.api_keys[1]").contains("is not ASCII"));
    assertTrue(message(r, "auth.api_keys[2]").contains("is a tab"));
  }

  @Test
  void corsOriginsMustBeOrigins() {
    ConfigResult r = parse("[server]\ncors_origins = [\"https://a.example/\", \"*\", \"b\"]\n" + ECHO);
    assertEquals(List.of("server.cors_origins[0]", "server.cors_origins[2]"), paths(r));
  }

  @Test
  void environmentIsExpandedBeforeValidation() {
    Map<String, String> env = Map.of("UP", "https://up.example.com/v1", "KEY", "sk-1");
    ConfigResult r = parse("""
        [[providers]]
        name = "up"
        base_url = "${UP}"
        api_key = "${KEY}"
        models = ["${MODEL:-m1}", "m2"]
        """, env::get);
    assertEquals(List.of(), r.problems());
    ProviderConfig p = r.config().provider("up");
    assertEquals("up.example.com", p.baseUrl().host());
    assertEquals("sk-1", p.apiKey());
    assertEquals(List.of("m1", "m2"), p.models());
  }

  @Test
  void missingVariableIsReportedOnceNamingVariableAndKey() {
    ConfigResult r = parse(ECHO + """
        [[providers]]
        name = "up"
        base_url = "${UP_URL}"
        api_key = "${UP_KEY}"
        [virtual_models]
        v = [{ provider = "${WHICH}", model = "m" }]
        """);
    // No follow-on "not a URL" / "unknown provider" problems for the unexpanded values.
    assertEquals(List.of("providers[1].base_url", "providers[1].api_key",
        "virtual_models.v[0].provider"), paths(r));
    assertTrue(message(r, "providers[1].api_key").contains("UP_KEY"));
    assertTrue(message(r, "virtual_models.v[0].provider").contains("WHICH"));
  }

  @Test
  void problemsShowAValueFromTheEnvironmentAsWrittenNeverItsText() {
    Map<String, String> env = Map.of("SURL", "notaurl-TOPSECRET", "ORIG", "http://a.b/path-SECRET2",
        "HOST", "h.example?k=SECRET3");
    ConfigResult r = parse("""
        [server]
        cors_origins = ["${ORIG}"]
        [[providers]]
        name = "p"
        base_url = "${SURL}"
        [[providers]]
        name = "q"
        base_url = "http://${HOST}/v1"
        """, env::get);
    assertEquals(List.of("server.cors_origins[0]", "providers[0].base_url", "providers[1].base_url"), paths(r));
    for (ConfigProblem p : r.problems()) {
      assertFalse(p.message().contains("SECRET"), p::toString);
    }
    assertEquals("\"${SURL}\" must be an http:// or https:// URL", message(r, "providers[0].base_url"));
    assertTrue(message(r, "server.cors_origins[0]").contains("\"${ORIG}\""), () -> message(r, "server.cors_origins[0]"));
    // shown in part (the query cut): the variable's text becomes "…" and the message says where it came from
    assertTrue(message(r, "providers[1].base_url").contains("the value is from http://${HOST}/v1"),
        () -> message(r, "providers[1].base_url"));
  }

  @Test
  void problemsAboutAWholeAValueFromTheEnvironmentIsPartOfHideItToo() {
    Map<String, String> env = Map.of("PK", "ENVPK_SECRET_ab");
    ConfigResult r = parse("""
        [[providers]]
        name = "p"
        base_url = "http://up.example/v1"
        models = ["${PK}", "${PK}"]
        [virtual_models]
        v = [{ provider = "p", model = "${PK}" }, { provider = "p", model = "${PK}" }]
        """, env::get);
    assertEquals(2, r.problems().size(), r.problems()::toString);
    for (ConfigProblem p : r.problems()) {
      assertFalse(p.message().contains("SECRET"), p::toString);
    }
  }

  @Test
  void aShortValueFromTheEnvironmentIsReplacedWhereItStandsWholeOnly() {
    ConfigResult r = parse("""
        [[providers]]
        name = "q"
        type = "echo"
        models = ["${M2}"]
        [virtual_models]
        v = [{ provider = "q", model = "${M2}" }, { provider = "q", model = "${M2}" }]
        """, Map.of("M2", "e")::get);
    assertEquals("target q/${M2} appears twice in the chain (also at [0])", message(r, "virtual_models.v[1]"));
  }

  @Test
  void aBaseUrlWithCredentialsIsRefusedAndShownWithoutThemOrItsQuery() {
    ConfigResult userinfo = parse(ECHO + "[[providers]]\nname = \"u\"\nbase_url = \"http://alice:hunter2pw@up.example/v1\"\n");
    assertEquals("\"http://…@up.example/v1\" must not carry credentials (user:password@): they would not be sent",
        message(userinfo, "providers[1].base_url"));
    ConfigResult query = parse(ECHO + "[[providers]]\nname = \"u\"\nbase_url = \"http://up.example/v1?api-key=QSECRET\"\n");
    assertEquals("\"http://up.example/v1?…\" must not have a query or fragment", message(query, "providers[1].base_url"));
    ConfigResult fragment = parse(ECHO + "[[providers]]\nname = \"u\"\nbase_url = \"http://up.example/v1#frag\"\n");
    assertEquals("\"http://up.example/v1#…\" must not have a query or fragment", message(fragment, "providers[1].base_url"));
  }

  @Test
  void aUrlPortOutsideOneTo65535IsRefused() {
    ConfigResult r = parse(ECHO + """
        [[providers]]
        name = "high"
        base_url = "http://127.0.0.1:65536/v1"
        [[providers]]
        name = "zero"
        base_url = "http://up.example:0/v1"
        [telemetry]
        otlp_endpoint = "http://127.0.0.1:99999"
        """);
    assertEquals(List.of("telemetry.otlp_endpoint", "providers[1].base_url", "providers[2].base_url"), paths(r));
    assertEquals("\"http://127.0.0.1:65536/v1\" has port 65536; a port is 1 to 65535", message(r, "providers[1].base_url"));
  }

  @Test
  void aUrlPortThatIsNoNumberIsNamedAsThePort() {
    for (String port : List.of("-1", "12ab", "1234567890", "0x50")) {
      for (String host : List.of("up.example", "127.0.0.1", "my_host")) {
        String url = "http://" + host + ":" + port + "/v1";
        ConfigResult r = parse(ECHO + "[[providers]]\nname = \"u\"\nbase_url = \"" + url + "\"\n");
        assertEquals("\"" + url + "\" has port " + port + "; a port is 1 to 65535",
            message(r, "providers[1].base_url"), url);
      }
    }
    ConfigResult v6 = parse(ECHO + "[[providers]]\nname = \"u\"\nbase_url = \"http://[::1]:12ab/v1\"\n");
    assertEquals("\"http://[::1]:12ab/v1\" not a valid URL: Illegal character in port number", // java.net.URI's own
        message(v6, "providers[1].base_url"));
  }

  @Test
  void hostNamesThatAreNoneAreRefusedAndEveryUrlProblemIsNamed() {
    for (String url : List.of("http://a..b:1234/v1", "http://999.1.1.1:80/v1", "http://_:1234/v1", "http://-a_b:1/v1")) {
      ConfigResult r = parse(ECHO + "[[providers]]\nname = \"u\"\nbase_url = \"" + url + "\"\n");
      assertEquals("\"" + url + "\" has no host", message(r, "providers[1].base_url"), url);
    }
    ConfigResult both = parse(ECHO + "[[providers]]\nname = \"u\"\nbase_url = \"http://user:pw@127.0.0.1:0/v1\"\n");
    assertTrue(message(both, "providers[1].base_url").contains("must not carry credentials"));
    ConfigResult underscored = parse(ECHO + "[[providers]]\nname = \"u\"\nbase_url = \"http://user:pw@my_host/v1\"\n");
    assertTrue(message(underscored, "providers[1].base_url").contains("must not carry credentials"));
  }

  @Test
  void aServerHostThatNamesNoAddressIsRefused() {
    for (String host : List.of("[::1", "[::1]:80", "127.0.0.1:80", "[localhost]", "[127.0.0.1]")) {
      ConfigResult r = parse("[server]\nhost = \"" + host + "\"\n" + ECHO);
      assertTrue(message(r, "server.host").startsWith("must be an address or a host name"), host);
    }
    assertEquals("::1", valid("[server]\nhost = \"[::1]\"\n" + ECHO).server().host());
    assertEquals("::", valid("[server]\nhost = \"::\"\n" + ECHO).server().host());
    assertEquals("*", valid("[server]\nhost = \"*\"\n" + ECHO).server().host());
  }

  @Test
  void aHostNameWithAnUnderscoreIsAHost() {
    GatewayConfig c = valid(ECHO + """
        [[providers]]
        name = "svc"
        base_url = "http://my_service:19710/v1"
        [[providers]]
        name = "plain"
        base_url = "https://my_service.internal/v1"
        [telemetry]
        otlp_endpoint = "http://otel_collector:4318"
        """);
    assertEquals(new UpstreamUrl(false, "my_service", 19710, "/v1"), c.provider("svc").baseUrl());
    assertEquals(new UpstreamUrl(true, "my_service.internal", 443, "/v1"), c.provider("plain").baseUrl());
  }

  @Test
  void modelNamesWithControlCharactersAreRefused() {
    ConfigResult r = parse(ECHO + """
        [[providers]]
        name = "up"
        base_url = "http://up.example/v1"
        models = ["fine", "bad\\nname"]
        [virtual_models]
        "multi\\nline" = [{ provider = "up", model = "fine" }]
        ok = [{ provider = "up", model = "tab\\there" }]
        """);
    assertEquals(List.of("providers[1].models[1]", "virtual_models.\"multi\nline\"", "virtual_models.ok[0].model"), paths(r));
    r.problems().forEach(p -> assertTrue(p.message().contains("control characters"), p::toString));
  }

  @Test
  void aRepeatedModelIsNamedByItsIndex() {
    ConfigResult r = parse(ECHO + """
        [[providers]]
        name = "up"
        base_url = "http://up.example/v1"
        models = ["a", "m", "m"]
        """);
    assertEquals(List.of(new ConfigProblem("providers[1].models[2]", "\"m\" is listed before, at models[1]")), r.problems());
  }

  @Test
  void anEmptyPortAndAnOtlpEndpointWithItsSignalsPathAreRefused() {
    ConfigResult r = parse(ECHO + """
        [[providers]]
        name = "up"
        base_url = "http://127.0.0.1:/v1"
        [telemetry]
        otlp_endpoint = "http://127.0.0.1:4318/v1/traces"
        """);
    assertEquals(List.of("telemetry.otlp_endpoint", "providers[1].base_url"), paths(r));
    assertTrue(r.problems().get(0).message().contains("without /v1/traces or /v1/metrics, which the gateway adds"),
        r.problems()::toString);
    assertTrue(r.problems().get(1).message().contains("has an empty port"), r.problems()::toString);
  }

  @Test
  void providerToStringHidesKey() {
    GatewayConfig c = valid(LOCAL + "api_key = \"secret-key\"\n");
    assertFalse(c.provider("local").toString().contains("secret-key"));
    assertNotNull(c.provider("local").baseUrl());
  }
}
