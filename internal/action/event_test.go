package action

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/sethvargo/go-githubactions"
)

func TestReadContext(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		event   string
		ref     string
		payload map[string]any
		want    runContext
		onMain  bool
	}{
		{
			name:  "pull request",
			event: "pull_request",
			ref:   "refs/pull/7/merge",
			payload: map[string]any{
				"action": "synchronize", "number": 7,
				"pull_request": map[string]any{"number": 7, "head": map[string]any{"sha": "abc"}},
				"repository":   map[string]any{"default_branch": "trunk"},
			},
			want: runContext{Event: "pull_request", Ref: "refs/pull/7/merge", PullRequest: 7, PullRequestAction: "synchronize", HeadSHA: "abc", DefaultBranch: "trunk"},
		},
		{
			name:    "push to the default branch",
			event:   "push",
			ref:     "refs/heads/trunk",
			payload: map[string]any{"ref": "refs/heads/trunk", "after": "def", "repository": map[string]any{"default_branch": "trunk"}},
			want:    runContext{Event: "push", Ref: "refs/heads/trunk", SHA: "def", DefaultBranch: "trunk"},
			onMain:  true,
		},
		{
			name:    "push to another branch",
			event:   "push",
			ref:     "refs/heads/main",
			payload: map[string]any{"ref": "refs/heads/main", "after": "def", "repository": map[string]any{"default_branch": "trunk"}},
			want:    runContext{Event: "push", Ref: "refs/heads/main", SHA: "def", DefaultBranch: "trunk"},
		},
		{
			name:    "tag push",
			event:   "push",
			ref:     "refs/tags/v1",
			payload: map[string]any{"ref": "refs/tags/v1", "after": "def"},
			want:    runContext{Event: "push", Ref: "refs/tags/v1", SHA: "def"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			b, err := json.Marshal(tt.payload)
			if err != nil {
				t.Fatal(err)
			}
			eventPath := filepath.Join(t.TempDir(), "event.json")
			if err := os.WriteFile(eventPath, b, 0o644); err != nil {
				t.Fatal(err)
			}
			env := map[string]string{
				"GITHUB_EVENT_NAME": tt.event, "GITHUB_EVENT_PATH": eventPath, "GITHUB_REF": tt.ref,
				"GITHUB_REPOSITORY": "acme/access", "GITHUB_SERVER_URL": "https://github.example.com", "GITHUB_RUN_ID": "42",
				"GITHUB_API_URL": "https://github.example.com/api/v3",
			}
			gh := githubactions.New(githubactions.WithGetenv(func(k string) string { return env[k] }))
			got, err := readContext(gh)
			if err != nil {
				t.Fatal(err)
			}
			want := tt.want
			want.Owner, want.Repo = "acme", "access"
			want.RunURL = "https://github.example.com/acme/access/actions/runs/42"
			want.RepoURL = "https://github.example.com/acme/access"
			want.APIURL = "https://github.example.com/api/v3"
			if diff := cmp.Diff(want, *got); diff != "" {
				t.Errorf("context (-want +got):\n%s", diff)
			}
			if got.onDefaultBranch() != tt.onMain {
				t.Errorf("onDefaultBranch() = %v, want %v", got.onDefaultBranch(), tt.onMain)
			}
		})
	}
}
