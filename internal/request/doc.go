// Package request turns an access request, filed through the issue form
// examples/.github/ISSUE_TEMPLATE/access-request.yml, into the one manifest
// change it asks for: Parse reads the form's fields from the issue body,
// Check validates them against the loaded manifests (known environment,
// declared user, declared groups, an end within the environment's
// max_elevation_hours), and Edit writes the time-bound memberships into the
// manifest file that declares the user, or moves the end of one the user
// has to later, as a minimal edit in the form `roster fmt` gives.
//
// It is domain code: it reads no network and knows no GitHub types; the
// Action fetches the issue and opens the pull request.
package request
