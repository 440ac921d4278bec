package quyche.client;

import java.time.LocalDate;
import java.time.OffsetDateTime;
import java.util.List;
import java.util.Map;

/**
 * The request and response bodies of the operations this client covers, written against the
 * service's OpenAPI document (components of the same names). Each component is the JSON
 * member of the same name in snake_case ({@code ruleId} is {@code rule_id}); nullable and
 * optional members are null when absent. {@code tests/service/test_java_client.py} compiles
 * these records and fails when their names or types drift from the spec.
 *
 * <p>Dates are {@link LocalDate} (ISO {@code yyyy-MM-dd} in JSON; show them as dd/MM/yyyy to
 * people), instants {@link OffsetDateTime}; the spec's enumerations are strings.
 */
public final class Models {
    private Models() {}

    // --- requests --------------------------------------------------------------------------

    /** A written request of coordination (Art. 3.1): the body must answer in 7 working days. */
    public record CoordinationRequested(
            LocalDate date,
            String reference,
            String summary,
            String agency,
            String district,
            String type,
            String requester,
            String requested,
            LocalDate receivedOn,
            String topic,
            LocalDate replyBy,
            String asksFor) {
        /** A request with only what the rules read; the type is filled in. */
        public static CoordinationRequested of(
                LocalDate date, String reference, String requester, String requested, LocalDate receivedOn) {
            return new CoordinationRequested(date, reference, null, null, null, "coordination_requested",
                    requester, requested, receivedOn, null, null, null);
        }
    }

    /** The requested body's answer to a recorded request ({@code inReplyTo}: its reference). */
    public record CoordinationAnswered(
            LocalDate date,
            String reference,
            String summary,
            String agency,
            String district,
            String type,
            String requester,
            String requested,
            String inReplyTo,
            String asksFor) {
        public static CoordinationAnswered of(
                LocalDate date, String requester, String requested, String inReplyTo) {
            return new CoordinationAnswered(date, null, null, null, null, "coordination_answered",
                    requester, requested, inReplyTo, null);
        }
    }

    /** {@code POST /v1/explain}: why a rule fired, or which condition failed. */
    public record ExplainIn(Object event, String ruleId) {}

    // --- answers ---------------------------------------------------------------------------

    public record Receipt(
            String decisionId,
            OffsetDateTime decidedAt,
            String rulebookHash,
            String rulebookVersion,
            String packageVersion,
            String backend,
            String backendReason,
            Map<String, String> backendVersions,
            String profile,
            String inputSha256,
            String requestId) {}

    public record BasisOut(Long article, Long clause, String point, String label) {}

    public record PartyOut(String id, String nameVi, String nameEn) {}

    public record Obligation(
            String ruleId,
            BasisOut basis,
            String quote,
            PartyOut obligated,
            List<PartyOut> counterparties,
            String duty,
            String dutyVi,
            String form,
            String formVi,
            LocalDate due,
            String dueComputation,
            Boolean dueProvisional,
            String silenceMeans,
            String eventType,
            List<String> conditions,
            String summaryEn,
            String note,
            Boolean unresolvedClass,
            String summaryVi,
            String noteVi,
            String document,
            LocalDate obligatedEndsBeforeDue) {}

    public record NotifyOut(List<Obligation> obligations, Receipt receipt) {}

    public record Explanation(
            String ruleId,
            BasisOut basis,
            String quote,
            String clauseText,
            List<String> conditions,
            String note,
            String ruleFile,
            String noteVi) {}

    public record FailedCondition(
            String field,
            String pointer,
            String test,
            Object had,
            List<Object> needed,
            Boolean widened,
            String alternative) {}

    public record TriggerCheck(
            Long index, String eventType, Boolean matched, String reason, List<FailedCondition> failed) {}

    public record ExplainOut(
            String ruleId,
            Boolean fired,
            List<String> required,
            List<Explanation> explanations,
            List<TriggerCheck> checks,
            Receipt receipt) {}

    public record HistoryOut(Long seq, LocalDate date, String kind, String text) {}

    /** One duty with a due date, followed to its end. */
    /** A party of an open case that ended, and who took over its business. */
    public record SuccessionOut(
            String party,
            String role,
            LocalDate endedOn,
            String succeededBy,
            LocalDate succeededOn,
            String inheritor) {}

    public record CaseOut(
            String id,
            String ruleId,
            String obligated,
            List<String> counterparties,
            String requester,
            String reference,
            String summary,
            LocalDate openedOn,
            LocalDate originalDue,
            LocalDate due,
            Boolean dueProvisional,
            String silenceMeans,
            String state,
            String stateVi,
            LocalDate consentSince,
            LocalDate closedOn,
            List<SuccessionOut> successions,
            List<HistoryOut> history) {}

    public record RecordOut(Long seq, Boolean created, String eventType, LocalDate eventDate, String sender) {}

    public record ChangeOut(String caseId, String change, String state, String text) {}

    public record ActorOut(String keyId, String party, Boolean admin, String actingAs) {}

    public record TrackOut(
            RecordOut record,
            List<CaseOut> opened,
            List<CaseOut> actsOn,
            List<String> noDue,
            List<ChangeOut> changes,
            ActorOut recordedBy,
            Receipt receipt) {}

    /** What a body owes and is owed as of a date; with a page size, one page of one group. */
    public record StatusOut(
            String party,
            LocalDate asOf,
            List<CaseOut> owes,
            List<CaseOut> dueSoon,
            List<CaseOut> overdue,
            List<CaseOut> owedTo,
            List<CaseOut> consent,
            List<CaseOut> escalated,
            Map<String, Long> counts) {}

    /** A decision as the audit log keeps it. */
    public record DecisionOut(
            Receipt receipt, String kind, String askedByParty, List<String> parties, Object input, Object result) {}

    public record ProblemItem(String pointer, String parameter, String code, String detail) {}

    /** RFC 9457 problem details: every error of the service. */
    public record Problem(
            String detail,
            String type,
            String title,
            Long status,
            String instance,
            String requestId,
            List<ProblemItem> errors) {}
}
