package quyche.client;

/**
 * An answer other than success: the HTTP status and the service's RFC 9457 problem details
 * ({@code problem().type()} is a stable URI per kind of error, {@code problem().errors()}
 * points at the fields at fault). Thrown after the retries, if any, are spent.
 */
public final class QuycheApiException extends RuntimeException {
    private static final long serialVersionUID = 1L;
    private final String operation;
    private final int status;
    private final transient Models.Problem problem;

    public QuycheApiException(String operation, int status, Models.Problem problem) {
        super(operation + ": HTTP " + status + (problem == null ? "" : " " + problem.type() + ": " + problem.detail()));
        this.operation = operation;
        this.status = status;
        this.problem = problem;
    }

    public String operation() {
        return operation;
    }

    public int status() {
        return status;
    }

    /** The problem details, or null when the body was not a problem document. */
    public Models.Problem problem() {
        return problem;
    }

    /** True for what a later retry may fix: over the rate limit (429), an outage (503). */
    public boolean retryable() {
        return status == 429 || status == 503;
    }
}
