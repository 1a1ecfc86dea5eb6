package githubtest

import (
	"net/http"
	"strings"
)

// App is a GitHub App, as check runs name it (app.id, app.slug,
// app.owner.login).
type App struct {
	ID    int64
	Slug  string
	Owner string
}

// GitHubActions is the GitHub Actions app on github.com, whose installation
// token every workflow run receives as GITHUB_TOKEN. Check runs created with
// that token carry this app.
var GitHubActions = App{ID: 15368, Slug: "github-actions", Owner: "github"}

// Identity is what a token acts as.
type Identity struct {
	// Login is the token's user: a person's login, or "<slug>[bot]" for an
	// app's installation token.
	Login string
	// App is the GitHub App whose installation token this is; nil means a
	// person's personal access token. Only app tokens may create or update
	// check runs.
	App *App
	// OrgRead says the token can read organization teams and their members:
	// the "Members: read" organization permission of an app (a workflow's
	// GITHUB_TOKEN never has it), or read:org for a personal access token.
	OrgRead bool
}

// forbidden answers 403 the way GitHub refuses a token lacking a permission:
// "Resource not accessible by integration" for an app's token (with the
// accepted permissions in X-Accepted-GitHub-Permissions when known), "Resource
// not accessible by personal access token" for a person's.
func (c *call) forbidden(permissions string) *apiError {
	if c.id.App == nil {
		return &apiError{status: http.StatusForbidden, message: "Resource not accessible by personal access token"}
	}
	if permissions != "" {
		c.w.Header().Set("X-Accepted-GitHub-Permissions", permissions)
	}
	return &apiError{status: http.StatusForbidden, message: "Resource not accessible by integration"}
}

// appJSON is the app object of a check run.
func appJSON(a App) map[string]any {
	owner := a.Owner
	if owner == "" {
		owner = "github"
	}
	return map[string]any{
		"id":       a.ID,
		"slug":     a.Slug,
		"node_id":  "A_" + a.Slug,
		"name":     strings.ReplaceAll(a.Slug, "-", " "),
		"owner":    map[string]any{"login": owner, "type": "Organization"},
		"html_url": "https://github.com/apps/" + a.Slug,
	}
}
