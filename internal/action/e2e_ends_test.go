package action_test

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/roster-dev/roster/internal/githubtest"
	"github.com/roster-dev/roster/internal/iamtest"
	"github.com/roster-dev/roster/internal/render"
)

// contractors is a production file the extension leaves alone: the base's
// copy comes from the workspace, its blob ID being the base's.
const (
	prdContractors = "access/production/contractors.yaml"
	contractors    = "users:\n  - name: bob\n    expires: 2027-03-31\n"
)

// extensionWorld is production at the base commit (sha 50): alice in
// prod-operators until 18:00, bob until the end of March; live IAM as
// the manifests say. The workspace then holds the pull request's merge
// commit, which moves alice's end to 22:00: nothing changes in IAM.
func extensionWorld(t *testing.T) (*world, int) {
	t.Helper()
	w := newWorld(t)
	w.write(prdPeople, expirePeople)
	w.write(prdContractors, contractors)
	w.commit(sha(50))
	w.iam.Account(prdAccount).PutGroup(iamtest.Group{Name: "prod-operators", ManagedPolicies: []string{powerUser}})
	w.seedInSync(func(u *iamtest.User) { u.Groups = append(u.Groups, "prod-operators") })
	bob := iamtest.User{Name: "bob", Tags: []iamtest.Tag{{Key: "cost-center", Value: "4200"}, {Key: "roster:managed", Value: "true"}}}
	w.iam.Account(prdAccount).PutUser(bob)
	w.write(prdPeople, strings.Replace(expirePeople, "18:00:00Z", "22:00:00Z", 1))
	pr := w.gh.AddPullRequest(repoName, githubtest.PullRequest{
		Title: "Extend alice in prod-operators", HeadSHA: sha(51),
		Files: []githubtest.File{{Filename: prdPeople}},
	})
	return w, pr
}

// extensionPayload is the pull_request event of the extension, its base
// commit being base.
func extensionPayload(pr int, base string) map[string]any {
	p := reviewPayload(pr, sha(51), "alice")
	p["pull_request"].(map[string]any)["base"] = map[string]any{"ref": "main", "sha": base}
	return p
}

// The test: a pull request extending prod-operators for alice
// from 18:00 to 22:00 changes nothing in IAM, and its plan comment (created
// for it) and job summary say "extends … until 22:00 (was 18:00)". The
// base is read through the contents API at the base commit, one listing
// per folder and one read of the one file the pull request changes.
func TestPullRequestExtendingGrantSaysExtends(t *testing.T) {
	t.Parallel()
	w, pr := extensionWorld(t)
	res := w.runAt("2026-12-03T17:00:00Z", "pull_request", extensionPayload(pr, sha(50)), nil).mustSucceed(t)

	const want = "extends user **alice** in group **prod\\-operators** until 2026-12-03 22:00 UTC (was 2026-12-03 18:00 UTC)"
	comments := w.comments(pr, render.PlanMarker)
	if len(comments) != 1 {
		t.Fatalf("%d plan comments, want 1 (a plan that only extends still gets one)", len(comments))
	}
	for what, body := range map[string]string{"comment": comments[0], "job summary": res.summary} {
		if !strings.Contains(body, want) || !strings.Contains(body, "**No IAM changes.**") {
			t.Errorf("the %s does not say the extension:\n%s", what, body)
		}
		if strings.Contains(body, "bob") && strings.Contains(body, "extends user **bob**") {
			t.Errorf("the %s marks bob, whose end did not move:\n%s", what, body)
		}
	}
	if got := res.outputs["has-changes"]; got != "false" {
		t.Errorf("has-changes = %q, want false: an extension changes nothing in IAM", got)
	}
	contents := "/repos/acme/access/contents/"
	for file, n := range map[string]int{prdPeople: 1, prdContractors: 0, "access": 1, "access/production": 1} {
		if got := w.gh.Count("GET", contents+file); got != n {
			t.Errorf("GET contents/%s: %d calls, want %d", file, got, n)
		}
	}
	if !strings.Contains(res.log, "1 file(s) read through the API, 1 from the workspace") {
		t.Errorf("the log does not count the base's reads:\n%s", res.log)
	}
}

// The base cannot be read (GitHub does not know the commit, or refuses):
// the plan is still posted and recorded, with one line saying the
// comparison is unavailable and why; the run does not fail.
func TestPullRequestBaseUnreadableStillPlans(t *testing.T) {
	t.Parallel()
	for name, setup := range map[string]func(w *world) string{
		"unknown commit": func(*world) string { return sha(77) },
		"contents refused": func(w *world) string {
			w.gh.Inject(githubtest.Fault{Method: "GET", Path: "/repos/acme/access/contents/access/production", Kind: githubtest.NoPermission, Permissions: "contents=read"})
			return sha(50)
		},
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			w, pr := extensionWorld(t)
			base := setup(w)
			res := w.runAt("2026-12-03T17:00:00Z", "pull_request", extensionPayload(pr, base), nil).mustSucceed(t)
			comments := w.comments(pr, render.PlanMarker)
			if len(comments) != 1 {
				t.Fatalf("%d plan comments, want 1", len(comments))
			}
			body := comments[0]
			if !strings.Contains(body, "were not compared with the base branch") || strings.Contains(body, "extends user") {
				t.Errorf("the comment does not say the comparison is unavailable:\n%s", body)
			}
			if !strings.Contains(body, "alice") || !strings.Contains(body, "2026-12-03 22:00 UTC") {
				t.Errorf("the comment lost the plan's time-bound access:\n%s", body)
			}
			if !strings.Contains(res.log, "::warning::Time-bound access was not compared with the base branch") {
				t.Errorf("the log does not warn:\n%s", res.log)
			}
			if n := w.gh.Count("POST", "/repos/acme/access/check-runs"); n != 1 {
				t.Errorf("%d reviewed-plan records written, want 1", n)
			}
		})
	}
}

// An access request for a group the requester is already in until 18:00
// extends that membership: the pull request moves the one expires line, and
// its plan comment (posted by the same run, compared with the commit the
// request was validated against) says "extends … until 21:30 (was 18:00)".
func TestAccessRequestExtendingShowsExtends(t *testing.T) {
	t.Parallel()
	w, _ := requestWorld(t)
	w.write(prodPeople, expirePeople)
	w.commit(sha(41))
	w.gh.SetBranch(repoName, "main", sha(41))
	w.iam.Account(prdAccount).PutGroup(iamtest.Group{Name: "prod-operators", ManagedPolicies: []string{powerUser}})
	w.seedInSync(func(u *iamtest.User) { u.Groups = append(u.Groups, "prod-operators") })

	_, res := w.openRequestAt(map[string]string{"ROSTER_E2E_NOW": "2026-12-03T09:30:00Z"}, sha(41),
		requestBody("production", "alice", "prod-operators", "12h", "INC-4712: the outage goes on"))
	res.mustSucceed(t)
	prs := w.gh.PullRequests(repoName)
	if len(prs) != 1 {
		t.Fatalf("%d pull requests, want 1; log:\n%s", len(prs), res.log)
	}
	pr := prs[0]
	if want := "Access request: alice extends prod-operators in production until 2026-12-03 21:30 UTC"; pr.Title != want {
		t.Errorf("title %q, want %q", pr.Title, want)
	}
	got, _ := w.gh.FileAt(repoName, pr.HeadSHA, prodPeople)
	if want := strings.Replace(expirePeople, "expires: 2026-12-03T18:00:00Z", `expires: "2026-12-03T21:30:00Z"`, 1); got != want {
		t.Errorf("%s on the pull request's branch (-want +got):\n%s", prodPeople, cmp.Diff(want, got))
	}
	comments := w.comments(pr.Number, render.PlanMarker)
	if len(comments) != 1 {
		t.Fatalf("%d plan comments on the pull request, want 1; log:\n%s", len(comments), res.log)
	}
	if want := "extends user **alice** in group **prod\\-operators** until 2026-12-03 21:30 UTC (was 2026-12-03 18:00 UTC)"; !strings.Contains(comments[0], want) {
		t.Errorf("the plan comment does not say the extension:\n%s", comments[0])
	}
	t.Logf("pull request %q; plan comment:\n%s", pr.Title, comments[0])
}
