// A Java 17 client of `quyche serve`, with nothing but the JDK (java.net.http.HttpClient).
//
// It posts one event (a JSON file) to POST /v1/notify, prints the answer (the obligations
// and the decision receipt, one line of JSON), then fetches the same decision back from the
// audit log (GET /v1/decisions/{id}) to show that it was recorded. Given a date as a fourth
// argument, it then asks the tracker what the key's body owes and is owed on that date
// (GET /v1/track/status?as_of=DATE: the clerk's morning question) and prints the answer,
// the same JSON as `quyche track status --json`.
//
//   javac -d out QuycheClient.java
//   java -cp out QuycheClient http://127.0.0.1:8000 "$QUYCHE_KEY" event.json [2026-02-20]
//
// A real integration would parse the JSON with the JSON library it already uses (Jackson,
// JSON-B); to stay dependency-free this example finds the decision id with a regular
// expression and otherwise prints the response as it came.

import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

public final class QuycheClient {
    private static final Pattern DECISION_ID =
            Pattern.compile("\"decision_id\"\\s*:\\s*\"([0-9a-f-]{36})\"");

    public static void main(String[] args) throws Exception {
        if (args.length != 3 && args.length != 4) {
            System.err.println("usage: java QuycheClient BASE_URL API_KEY EVENT.json [AS_OF]");
            System.exit(2);
        }
        String base = args[0].replaceAll("/+$", "");
        String key = args[1];
        String event = Files.readString(Path.of(args[2]));
        HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

        HttpRequest notify = HttpRequest.newBuilder(URI.create(base + "/v1/notify"))
                .timeout(Duration.ofSeconds(30))
                .header("Authorization", "Bearer " + key)
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(event))
                .build();
        HttpResponse<String> answer = http.send(notify, HttpResponse.BodyHandlers.ofString());
        if (answer.statusCode() != 200) {
            // every error is RFC 9457 problem details (application/problem+json): a stable
            // "type" URI, a Vietnamese "title" and "detail", one line naming the field
            System.err.println("notify: HTTP " + answer.statusCode() + " " + answer.body());
            System.exit(1);
        }
        System.out.println(answer.body());

        Matcher m = DECISION_ID.matcher(answer.body());
        if (!m.find()) {
            System.err.println("notify: no decision_id in the receipt");
            System.exit(1);
        }
        String id = m.group(1);
        HttpRequest audit = HttpRequest.newBuilder(URI.create(base + "/v1/decisions/" + id))
                .timeout(Duration.ofSeconds(30))
                .header("Authorization", "Bearer " + key)
                .GET()
                .build();
        HttpResponse<String> logged = http.send(audit, HttpResponse.BodyHandlers.ofString());
        System.out.println("decision " + id + " in the log: HTTP " + logged.statusCode());
        if (logged.statusCode() != 200) {
            System.exit(1);
        }
        if (args.length == 4) {
            // the key's own body (a key sees only its own status); as_of is YYYY-MM-DD
            String asOf = URLEncoder.encode(args[3], StandardCharsets.UTF_8);
            HttpRequest status = HttpRequest.newBuilder(
                            URI.create(base + "/v1/track/status?as_of=" + asOf))
                    .timeout(Duration.ofSeconds(30))
                    .header("Authorization", "Bearer " + key)
                    .GET()
                    .build();
            HttpResponse<String> owed = http.send(status, HttpResponse.BodyHandlers.ofString());
            if (owed.statusCode() != 200) {
                System.err.println("track status: HTTP " + owed.statusCode() + " " + owed.body());
                System.exit(1);
            }
            System.out.println(owed.body());
        }
        System.exit(0);
    }
}
