// Package github is roster's adapter to GitHub's REST API, built on
// go-github; go-github's types stop here.
//
// A [Client] does the few things the Action needs: one sticky comment per
// pull request ([Client.UpsertComment]), the merged pull request of a commit
// and its changed files ([Client.PullRequestForCommit],
// [Client.ChangedFiles]), and issues with a lifecycle ([Client.SyncIssue],
// [Client.ResolveIssue]), and what approvals and the reviewed-plan record
// need: a pull request's reviews ([Client.ListReviews]), team membership
// ([Client.IsTeamMember], which implements approval.Teams), files as a
// commit had them ([Client.FileAtRef], [Client.DirAtRef]), and the record
// itself ([Client.CreateOrUpdatePlanRecord], [Client.FindPlanRecord]).
// Comments and issues are found again by a hidden
// marker, an HTML comment GitHub does not render, so re-running a job edits
// what it wrote before instead of adding to it.
//
// # Connection
//
// Options.APIURL is the value of GITHUB_API_URL. Anything other than
// https://api.github.com is treated as GitHub Enterprise Server (go-github's
// WithEnterpriseURLs, which adds /api/v3/ when the URL lacks it and the host
// is not an api.* host).
//
// # Rate limits and retries
//
// GitHub's retries live in retry.go (AWS's in internal/awsiam/retry.go).
// The client's transport waits out GitHub's rate limits, following GitHub's
// documented order: a Retry-After header is honoured first; otherwise, when
// X-RateLimit-Remaining is 0, the wait lasts until X-RateLimit-Reset; otherwise
// a 403 or 429 saying "secondary rate limit" waits one minute, doubling on
// each further secondary limit of the same request. A successful response
// that uses up the window (X-RateLimit-Remaining: 0) makes the next request
// wait for the reset before it is sent. A request waits at most
// Options.MaxWait in total; a limit that would need longer is returned at
// once as an error wrapping [ErrRateLimited] that says when the limit resets.
// Reads, edits and deletions (GET, PATCH, PUT, DELETE) that fail with a 5xx
// status are retried a bounded number of times with a short backoff; a POST
// is never retried after a 5xx, because GitHub may have created the comment
// or issue before failing, and a second one is worse than a failed job
// (the next run finds the first by its marker).
//
// # Errors
//
// errors.go turns go-github's errors into roster's, in one place: a token
// lacking a permission (403 "Resource not accessible by integration") is
// reported as a [*PermissionError] naming the entry to add to the
// workflow's permissions: block, e.g. "pull-requests: write"; a rate limit
// longer than the client waits is a [*RateLimitError]; a rejected token
// wraps [ErrUnauthorized]. The errors of one call's own outcome (no pull
// request, a truncated file list, a body over the limit, no plan record)
// stand beside that call.
//
// # Issue lifecycle
//
// [Client.SyncIssue] keeps at most one live issue per marker. The body
// starts with the hidden marker and a hidden fingerprint of the findings, so
// a later run can tell whether the findings changed:
//
//   - The issue considered is the most recently created one, open or closed,
//     whose body starts with the marker and which has all of the spec's
//     labels (and, with Options.Author set, was opened by that login). An
//     issue or pull request that merely quotes the marker is never taken.
//   - None: an issue is created, after creating any missing labels; with an
//     empty Body nothing is created.
//   - Open: the title and body are rewritten in place when they differ; the
//     spec's ChangedComment is posted only when the fingerprint differs from
//     the stored one.
//   - Closed by roster ([Client.ResolveIssue] wrote a hidden "resolved by
//     roster" mark into the body when closing it): new findings reopen the
//     same issue, rather than opening another, so the history of one
//     environment's drift stays in one thread; the mark is removed and
//     ChangedComment is posted when set.
//   - Closed by a person (no such mark): the issue stays closed while the
//     fingerprint is the one it was closed with, and is left untouched; a
//     different fingerprint reopens it with ChangedComment (or a default
//     comment saying the findings changed since it was closed).
//   - An empty Body never creates, edits or reopens anything: closing is
//     [Client.ResolveIssue]'s job.
//
// [Client.ResolveIssue] closes the most recent open issue starting with the marker:
// it posts the comment, then in one edit adds the resolved mark to the body
// and closes the issue as completed. With no open issue it does nothing.
// One consequence worth knowing: an issue a person closed stays closed for
// its fingerprint even if the findings go away and later return unchanged.
//
// # Reviewed-plan record
//
// The digests of the plan reviewers saw are recorded as a completed check
// run named [PlanRecordName] on the pull request's head commit, its output
// text one JSON block in roster's format. Only GitHub Apps can create check
// runs (a person's token is refused), and each check run carries the app
// that created it, so [Client.FindPlanRecord] takes only check runs of the
// trusted [App] (by slug, and by ID when known: [DefaultTrustedApp]) and
// ignores every other app's. A trusted record that cannot be read, names
// another pull request or commit, is not completed, or disagrees with
// another trusted record on the commit is refused ([ErrBadPlanRecord]);
// none at all is [ErrNoPlanRecord]. [Client.CreateOrUpdatePlanRecord]
// updates the trusted app's records on the commit in place, so re-running a
// plan leaves one record, and refuses to write with a token of another app
// ([ErrUntrustedApp]) or a person's ([ErrNotAnApp]).
//
// # Team membership
//
// GitHub answers 404 both for "not a member" and for a team the token cannot
// see, so [Client.IsTeamMember] reads the team itself before taking a 404 as
// "no"; a 403 (a workflow's GITHUB_TOKEN can never read teams) or an
// invisible team is a [*TeamAccessError] naming the approvals-token input.
package github
