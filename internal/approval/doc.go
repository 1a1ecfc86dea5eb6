// Package approval decides whether a pull request's reviews meet an
// environment's approvals rule, and who may start a manual apply. It is pure:
// reviews come in as data, and team membership through the small [Teams]
// port, which the GitHub adapter implements.
//
// # Counting approvals
//
// [Evaluate] counts, for each reviewer, only that reviewer's latest decisive
// review, in GitHub's chronological order:
//
//   - APPROVED makes the reviewer approving, on the commit it was submitted on;
//   - CHANGES_REQUESTED and DISMISSED withdraw an earlier approval;
//   - COMMENTED changes nothing (as on GitHub, a comment does not withdraw an
//     approval), and a PENDING review has not been submitted.
//
// An approval counts only when it was given on the pull request's final head
// commit (an approval of an older commit approved other code), by someone
// other than the author, from a login the rule lists or an active member of a
// team it lists. Logins compare case-insensitively, as GitHub's do. Each
// person counts once however often they approved.
//
// Team membership is looked up only for approvals that would otherwise count,
// so a rule naming teams costs no lookup when nobody from outside its logins
// approved. A lookup that fails fails safe: that approval is not counted and
// the error is returned with the result, so the caller can say which
// permission is missing.
//
// # Manual applies
//
// [ActorAllowed] applies the same reviewers to the person who started a
// manual run: a listed login, or an active member of a listed team.
//
// # CODEOWNERS
//
// [UpdateCodeowners] and [CheckCodeowners] keep a marked block at the end of
// .github/CODEOWNERS that gives each environment folder its reviewers, so that
// GitHub asks for the same people before merge that roster requires before
// apply.
package approval
