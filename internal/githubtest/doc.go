// Package githubtest is an in-process fake of the parts of GitHub's REST API
// that roster uses, for tests of the GitHub adapter and end-to-end tests of
// the Action.
//
// The fake is a real HTTP server with state, following go-github's own test
// setup: the API lives under the prefix /api/v3, the way GitHub Enterprise
// Server serves it, so go-github's WithEnterpriseURLs and the Action's
// GITHUB_API_URL both point at [Server.APIURL]. Requests under any other path
// are answered 404 with a message saying where the API is.
//
// # State
//
// Repositories ("owner/name") exist once something is seeded into them
// ([Server.AddRepo], [Server.AddPullRequest], [Server.AddIssue]); requests for
// any other repository are 404 Not Found, as GitHub answers them. Issues and
// pull requests share one number sequence per repository. The server keeps
// issues (title, body, state, state_reason, labels, author, closed_by),
// issue comments (pull request conversation comments are issue comments, as
// on GitHub), labels, and pull requests (head SHA, merge commit SHA, changed
// files). Listing issues includes pull requests, marked with a pull_request
// field, exactly as GitHub does.
//
// For approvals and the reviewed-plan record it also keeps pull request
// reviews ([Server.AddReview], [Server.DismissReview],
// [Server.PushToPullRequest]; a PENDING review is listed only to its
// author), check runs ([Server.AddCheckRun] or created through the API),
// organization teams and their members ([Server.AddTeamMember]), and commits
// with their files ([Server.AddCommit], [Server.SetBranch]) for the contents
// API (base64 content in lines of 60, Git blob SHAs, directory listings;
// files over 1 MB come with encoding "none", as on GitHub).
//
// Served endpoints:
//
//	GET    /user
//	GET    /repos/{o}/{r}/issues                     state, labels, sort, direction, since
//	POST   /repos/{o}/{r}/issues
//	GET    /repos/{o}/{r}/issues/{n}
//	PATCH  /repos/{o}/{r}/issues/{n}                 title, body, state, state_reason, labels
//	GET    /repos/{o}/{r}/issues/{n}/comments
//	POST   /repos/{o}/{r}/issues/{n}/comments
//	POST   /repos/{o}/{r}/issues/{n}/labels
//	GET    /repos/{o}/{r}/issues/comments/{id}
//	PATCH  /repos/{o}/{r}/issues/comments/{id}
//	DELETE /repos/{o}/{r}/issues/comments/{id}
//	GET    /repos/{o}/{r}/labels
//	POST   /repos/{o}/{r}/labels
//	GET    /repos/{o}/{r}/labels/{name}
//	GET    /repos/{o}/{r}/pulls/{n}
//	GET    /repos/{o}/{r}/pulls/{n}/files
//	GET    /repos/{o}/{r}/commits/{sha}/pulls
//	GET    /repos/{o}/{r}/pulls/{n}/reviews
//	POST   /repos/{o}/{r}/check-runs                 app tokens only
//	GET    /repos/{o}/{r}/check-runs/{id}
//	PATCH  /repos/{o}/{r}/check-runs/{id}            the creating app only
//	GET    /repos/{o}/{r}/commits/{ref}/check-runs   check_name, status, app_id, filter
//	GET    /repos/{o}/{r}/contents/{path}            ref (a SHA or a branch)
//	GET    /orgs/{org}/teams/{team_slug}
//	GET    /orgs/{org}/teams/{team_slug}/memberships/{username}
//
// Every list is paginated with per_page (default 30, at most 100) and page,
// and answers a Link header with first, prev, next and last relations. Bodies
// of issues and comments longer than 65,536 characters are refused with 422,
// as GitHub refuses them.
//
// # Authentication
//
// Every request needs a token (Authorization: Bearer or token); without one
// the answer is 401 "Requires authentication". Any token is accepted and acts
// as [DefaultLogin] until [Server.AddToken] registers tokens, after which only
// registered tokens are accepted ("Bad credentials" otherwise), each acting as
// its own [Identity]: a login, the GitHub App whose installation token it is
// (nil for a person's personal access token), and whether it can read the
// organization's teams. The default identity, and a token registered with
// [Server.AddToken] for [DefaultLogin], is the workflow's GITHUB_TOKEN: the
// [GitHubActions] app (id 15368, slug github-actions), without organization
// read permission (a workflow cannot grant it). Only an app's token creates
// check runs (a person's gets 403 "Resource not accessible by personal access
// token"), and only the creating app updates one (another app gets 403
// "Invalid app_id `N` - check run can only be modified by the GitHub App that
// created it."). Teams refuse a token
// without organization read permission: an app's with 403 "Resource not
// accessible by integration" and X-Accepted-GitHub-Permissions: members=read,
// a person's with 404, since the team is invisible to it. (GitHub has also
// been seen answering a GITHUB_TOKEN 404 there, and a fine-grained token 403
// "Resource not accessible by personal access token"; the adapter treats a
// 403 and an unreadable team alike, and the two cases here exercise both.) The token of every request is recorded in [Request.Token]
// for assertions; the server never logs it.
//
// # Faults
//
// [Server.Inject] makes matching requests fail the way GitHub fails them:
// the primary rate limit (403 or 429 with X-RateLimit-Remaining: 0 and
// X-RateLimit-Reset), the secondary rate limit (403 with Retry-After and
// GitHub's message), a token lacking a permission (403 "Resource not
// accessible by integration" with X-Accepted-GitHub-Permissions), and server
// errors; faulted requests change no state. LastInWindow instead serves the
// request and answers X-RateLimit-Remaining: 0, as the last request of a
// rate limit window is answered.
//
// # Records
//
// [Server.Requests] returns every request in order (method, path, query,
// body, token, status), and [Server.Count] counts the successful ones
// matching a method and a path pattern, so tests can assert "exactly one
// comment created, edited twice".
package githubtest
