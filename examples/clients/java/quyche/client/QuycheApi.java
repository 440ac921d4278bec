package quyche.client;

import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.LocalDate;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.NoSuchElementException;
import java.util.function.Consumer;

/**
 * A typed client of {@code quyche serve} for Java 17, with nothing but the JDK
 * ({@code java.net.http}). One method per operation, named by the OpenAPI operationId:
 * {@link #notify(Object)}, {@link #explain}, {@link #recordTrackEvent(Object)},
 * {@link #getTrackStatus}, {@link #getDecision(String)}; {@link #statusCases} pages
 * through a group of a large status.
 *
 * <p>Retries: an answer 429 (over the key's rate limit) or 503 (the database is down: nothing
 * was recorded) is retried after the {@code Retry-After} the service sends (seconds or an
 * HTTP date), at most {@code maxRetries} times and never waiting more than
 * {@code maxWait} at once; without the header it backs off 0.5 s, 1 s, 2 s… Retrying is safe
 * for every operation here: a refused request did nothing, and recording is idempotent by
 * document (the same event twice is one record).
 */
public final class QuycheApi {
    private final HttpClient http;
    private final String base;
    private final String key;
    private final int maxRetries;
    private final Duration maxWait;
    private Consumer<String> onRetry = line -> {};

    public QuycheApi(String baseUrl, String apiKey) {
        this(baseUrl, apiKey, 4, Duration.ofSeconds(30));
    }

    public QuycheApi(String baseUrl, String apiKey, int maxRetries, Duration maxWait) {
        this.http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
        this.base = baseUrl.replaceAll("/+$", "");
        this.key = apiKey;
        this.maxRetries = maxRetries;
        this.maxWait = maxWait;
    }

    /** Called with one line before each retry (for a log; it names no key and no body). */
    public QuycheApi onRetry(Consumer<String> listener) {
        this.onRetry = listener;
        return this;
    }

    /** {@code POST /v1/notify}: who must be notified, consulted or invited, and by when. */
    public Models.NotifyOut notify(Object event) {
        return Json.bind(send("notify", "POST", "/v1/notify", event).json(), Models.NotifyOut.class);
    }

    /** {@code POST /v1/explain}: why rule {@code ruleId} fired for the event, or which
     * condition of each trigger failed ({@code checks}). */
    public Models.ExplainOut explain(Object event, String ruleId) {
        Models.ExplainIn in = new Models.ExplainIn(event, ruleId);
        return Json.bind(send("explain", "POST", "/v1/explain", in).json(), Models.ExplainOut.class);
    }

    /** {@code POST /v1/track}: record an event in the tracker (idempotent by document). */
    public Models.TrackOut recordTrackEvent(Object event) {
        return Json.bind(send("recordTrackEvent", "POST", "/v1/track", event).json(), Models.TrackOut.class);
    }

    /** {@code GET /v1/decisions/{id}}: a decision as the audit log keeps it. */
    public Models.DecisionOut getDecision(String decisionId) {
        String id = URLEncoder.encode(decisionId, StandardCharsets.UTF_8);
        return Json.bind(send("getDecision", "GET", "/v1/decisions/" + id, null).json(), Models.DecisionOut.class);
    }

    /** One page of a status and the cursor of the next ({@code null}: the last page). */
    public record StatusPage(Models.StatusOut status, String nextCursor) {}

    /**
     * {@code GET /v1/track/status}. {@code party} null: the key's own body; {@code asOf} null:
     * today in Vietnam; {@code limit} null: the whole status (every group listed); with a
     * limit, one page of {@code group} (default {@code owes}), the counts of every group.
     */
    public StatusPage getTrackStatus(String party, LocalDate asOf, String group, Integer limit, String cursor) {
        Map<String, Object> q = new LinkedHashMap<>();
        q.put("party", party);
        q.put("as_of", asOf);
        q.put("group", group);
        q.put("limit", limit);
        q.put("cursor", cursor);
        Answer a = send("getTrackStatus", "GET", "/v1/track/status" + query(q), null);
        Models.StatusOut s = Json.bind(a.json(), Models.StatusOut.class);
        return new StatusPage(s, a.response.headers().firstValue("X-Next-Cursor").orElse(null));
    }

    /** Every case of one group of a status, fetched a page at a time as it is iterated. */
    public Iterable<Models.CaseOut> statusCases(String party, LocalDate asOf, String group, int pageSize) {
        return () -> new Iterator<>() {
            private List<Models.CaseOut> page = List.of();
            private int at;
            private String cursor;
            private boolean last;

            @Override
            public boolean hasNext() {
                while (at >= page.size() && !last) {
                    StatusPage p = getTrackStatus(party, asOf, group, pageSize, cursor);
                    page = groupOf(p.status(), group);
                    at = 0;
                    cursor = p.nextCursor();
                    last = cursor == null;
                }
                return at < page.size();
            }

            @Override
            public Models.CaseOut next() {
                if (!hasNext()) {
                    throw new NoSuchElementException();
                }
                return page.get(at++);
            }
        };
    }

    /** The list of one group of a status by its name. */
    public static List<Models.CaseOut> groupOf(Models.StatusOut s, String group) {
        return switch (group) {
            case "owes" -> s.owes();
            case "due_soon" -> s.dueSoon();
            case "overdue" -> s.overdue();
            case "owed_to" -> s.owedTo();
            case "consent" -> s.consent();
            case "escalated" -> s.escalated();
            default -> throw new IllegalArgumentException("group: " + group);
        };
    }

    // --- transport -------------------------------------------------------------------------

    private record Answer(HttpResponse<String> response) {
        Object json() {
            return Json.parse(response.body());
        }
    }

    private static String query(Map<String, Object> q) {
        List<String> parts = new ArrayList<>();
        for (Map.Entry<String, Object> e : q.entrySet()) {
            if (e.getValue() != null) {
                parts.add(e.getKey() + "=" + URLEncoder.encode(e.getValue().toString(), StandardCharsets.UTF_8));
            }
        }
        return parts.isEmpty() ? "" : "?" + String.join("&", parts);
    }

    private Answer send(String operation, String method, String path, Object body) {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(base + path))
                .timeout(Duration.ofSeconds(30))
                .header("Authorization", "Bearer " + key)
                .header("Accept", "application/json");
        if (body == null) {
            b.GET();
        } else {
            b.header("Content-Type", "application/json");
            b.method(method, HttpRequest.BodyPublishers.ofString(Json.write(body), StandardCharsets.UTF_8));
        }
        HttpRequest request = b.build();
        for (int attempt = 0; ; attempt++) {
            HttpResponse<String> r;
            try {
                r = http.send(request, HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
            } catch (IOException ex) {
                throw new QuycheApiException(operation, 0, null);
            } catch (InterruptedException ex) {
                Thread.currentThread().interrupt();
                throw new QuycheApiException(operation, 0, null);
            }
            int status = r.statusCode();
            if (status >= 200 && status < 300) {
                return new Answer(r);
            }
            if ((status == 429 || status == 503) && attempt < maxRetries) {
                Duration wait = retryAfter(r, attempt);
                onRetry.accept(operation + ": HTTP " + status + ", retry " + (attempt + 1) + " in "
                        + wait.toMillis() + " ms");
                try {
                    Thread.sleep(wait.toMillis());
                } catch (InterruptedException ex) {
                    Thread.currentThread().interrupt();
                    throw new QuycheApiException(operation, status, problem(r));
                }
                continue;
            }
            throw new QuycheApiException(operation, status, problem(r));
        }
    }

    /** The wait {@code Retry-After} asks for (seconds or an HTTP date), capped at maxWait. */
    Duration retryAfter(HttpResponse<String> r, int attempt) {
        Duration wait = Duration.ofMillis(500L << Math.min(attempt, 6));
        String h = r.headers().firstValue("Retry-After").orElse(null);
        if (h != null) {
            try {
                wait = Duration.ofSeconds(Long.parseLong(h.trim()));
            } catch (NumberFormatException notSeconds) {
                try {
                    ZonedDateTime at = ZonedDateTime.parse(h.trim(), DateTimeFormatter.RFC_1123_DATE_TIME);
                    wait = Duration.between(ZonedDateTime.now(at.getZone()), at);
                } catch (DateTimeParseException notDate) {
                    // keep the back-off
                }
            }
        }
        if (wait.isNegative()) {
            wait = Duration.ZERO;
        }
        return wait.compareTo(maxWait) > 0 ? maxWait : wait;
    }

    private static Models.Problem problem(HttpResponse<String> r) {
        try {
            return Json.bind(Json.parse(r.body()), Models.Problem.class);
        } catch (RuntimeException notProblem) {
            return null;
        }
    }
}
