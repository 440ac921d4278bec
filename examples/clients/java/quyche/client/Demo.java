package quyche.client;

import java.time.LocalDate;
import java.util.HashSet;
import java.util.Set;

/**
 * The calls of the integrators' guide, typed: notify, the decision back from the audit log,
 * explain, record an answer in the tracker, and page through what the key's body owes.
 *
 * <pre>
 *   javac -d out examples/clients/java/quyche/client/*.java
 *   java -cp out quyche.client.Demo http://127.0.0.1:8000 "$QUYCHE_KEY" 2026-12-10 J0-CV
 * </pre>
 *
 * The key is the requested body's (it owes the answers); the request it notifies about is
 * sent by Đảng ủy Khối. Prints one line per call (key=value), and the retries it made.
 */
public final class Demo {
    private Demo() {}

    public static void main(String[] args) {
        if (args.length != 4) {
            System.err.println("usage: java quyche.client.Demo BASE_URL API_KEY AS_OF REFERENCE_TO_ANSWER");
            System.exit(2);
        }
        int[] retries = {0};
        QuycheApi api = new QuycheApi(args[0], args[1]).onRetry(line -> {
            retries[0]++;
            System.err.println(line);
        });
        LocalDate asOf = LocalDate.parse(args[2]);
        String body = "ban_noi_chinh_tinh_uy";
        try {
            Models.CoordinationRequested request =
                    Models.CoordinationRequested.of(asOf, "DEMO-1/ĐUK", "dang_uy_khoi", body, asOf);
            Models.NotifyOut n = api.notify(request);
            Models.Obligation first = n.obligations().get(0);
            String id = n.receipt().decisionId();
            System.out.println("notify obligations=" + n.obligations().size() + " rule=" + first.ruleId()
                    + " due=" + first.due() + " obligated=" + first.obligated().id() + " decision=" + id);

            Models.DecisionOut d = api.getDecision(id);
            System.out.println("decision " + d.receipt().decisionId() + " kind=" + d.kind());

            Models.ExplainOut e = api.explain(request, first.ruleId());
            System.out.println("explain rule=" + e.ruleId() + " fired=" + e.fired()
                    + " quote=" + !e.explanations().get(0).quote().isEmpty());

            Models.TrackOut t = api.recordTrackEvent(
                    Models.CoordinationAnswered.of(asOf, "dang_uy_khoi", body, args[3]));
            String state = t.actsOn().isEmpty() ? "-" : t.actsOn().get(0).state();
            System.out.println("track created=" + t.record().created() + " sender=" + t.record().sender()
                    + " state=" + state);

            QuycheApi.StatusPage p = api.getTrackStatus(null, asOf, "owes", 100, null);
            long counted = p.status().counts().get("owes");
            int seen = 0;
            boolean ordered = true;
            Set<String> ids = new HashSet<>();
            Models.CaseOut previous = null;
            for (Models.CaseOut c : api.statusCases(null, asOf, "owes", 100)) {
                seen++;
                ids.add(c.id());
                if (previous != null) {
                    int cmp = previous.due().compareTo(c.due());
                    ordered &= cmp < 0 || (cmp == 0 && previous.id().compareTo(c.id()) < 0);
                }
                previous = c;
            }
            System.out.println("status owes=" + counted + " paged=" + seen + " unique=" + (ids.size() == seen)
                    + " ordered=" + ordered);
            System.out.println("retries count=" + retries[0]);
        } catch (QuycheApiException ex) {
            System.err.println(ex.getMessage());
            System.exit(1);
        }
    }
}
