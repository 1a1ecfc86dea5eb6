package action

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"

	"github.com/sethvargo/go-githubactions"

	"github.com/roster-dev/roster/internal/awsiam"
	"github.com/roster-dev/roster/internal/diag"
	"github.com/roster-dev/roster/internal/engine"
	"github.com/roster-dev/roster/internal/manifest"
	"github.com/roster-dev/roster/internal/render"
)

// validate loads the access tree and annotates every finding on its file
// and line. Invalid manifests are summarized and fail the run.
func (r *runner) validate() (*manifest.Repository, error) {
	var (
		repo  *manifest.Repository
		diags diag.List
	)
	_ = r.group("Validate "+r.in.Path, func() error {
		repo, diags = manifest.Load(r.dir, manifest.WithClock(r.env.Now))
		for i := range diags {
			diags[i].File = r.relFile(diags[i].File)
		}
		r.annotate(diags)
		r.logf("%s, %s", diags.Tally(diag.Error), diags.Tally(diag.Warning))
		return nil
	})
	if !diags.HasErrors() {
		r.relativize(repo)
		return repo, nil
	}
	r.setOutput("has-changes", "false")
	r.result = ResultInvalid
	if err := r.summary(validationSummary(r.in.Path, diags)); err != nil {
		return nil, err
	}
	return nil, failf("%s is invalid: %s (see the annotations on the files)", r.in.Path, diags.Tally(diag.Error))
}

// selected validates the manifests and selects the environments of the
// environments input (all of them when it is empty).
func (r *runner) selected() (*manifest.Repository, []*manifest.Environment, error) {
	repo, err := r.validate()
	if err != nil {
		return nil, nil, err
	}
	envs, err := engine.Select(repo, r.in.Environments)
	if err != nil {
		return nil, nil, fmt.Errorf("input environments: %w", err)
	}
	return repo, envs, nil
}

// target is what a job of every selected environment works on: the
// validated repository, the environments selected from it, and the one AWS
// connection the job reads and writes them through.
type target struct {
	repo *manifest.Repository
	envs []*manifest.Environment
	conn *awsiam.Connector
}

// withTarget selects the environments (see selected), connects to AWS and
// runs job on them.
func (r *runner) withTarget(ctx context.Context, job func(context.Context, target) error) error {
	repo, envs, err := r.selected()
	if err != nil {
		return err
	}
	conn, err := r.connect(ctx)
	if err != nil {
		return err
	}
	return job(ctx, target{repo: repo, envs: envs, conn: conn})
}

// connect opens the job's AWS connection: the job's credentials, with calls
// in flight bounded by the concurrency inputs.
func (r *runner) connect(ctx context.Context) (*awsiam.Connector, error) {
	return awsiam.NewConnector(ctx, r.env.Getenv, r.in.Concurrency)
}

// relFile turns a loader path into a path relative to the repository root,
// which is what annotations need.
func (r *runner) relFile(name string) string {
	if r.rc.Workspace == "" {
		return name
	}
	prefix := filepath.ToSlash(filepath.Clean(r.rc.Workspace)) + "/"
	return strings.TrimPrefix(name, prefix)
}

// relativize rewrites the file names a loaded repository carries (in
// plans' warnings and drift's "accept" hints) relative to the repository
// root, as a reader of the pull request or issue knows them.
func (r *runner) relativize(repo *manifest.Repository) {
	if repo == nil || r.rc.Workspace == "" {
		return
	}
	repo.Dir = r.relFile(filepath.ToSlash(repo.Dir))
	repo.Config.Pos.File = r.relFile(repo.Config.Pos.File)
	for _, e := range repo.Environments {
		e.Dir = r.relFile(e.Dir)
		e.Pos.File = r.relFile(e.Pos.File)
		for _, g := range e.Groups {
			g.Pos.File = r.relFile(g.Pos.File)
		}
		for _, u := range e.Users {
			u.Pos.File = r.relFile(u.Pos.File)
		}
	}
}

// annotate writes each finding as a workflow command, so GitHub shows it on
// the file and line of the pull request.
func (r *runner) annotate(diags diag.List) { Annotate(r.gh, diags) }

// Annotate writes each finding to gh as an ::error or ::warning workflow
// command on its file and line: the Action's validation and
// `roster validate --format github` show findings alike.
func Annotate(gh *githubactions.Action, diags diag.List) {
	for _, d := range diags {
		fields, msg := d.Annotation()
		a := gh.WithFieldsMap(fields)
		if d.Severity == diag.Error {
			a.Errorf("%s", msg)
		} else {
			a.Warningf("%s", msg)
		}
	}
}

// validSummary is the job summary of a validate-only run over valid
// manifests: what was checked, and the access matrix.
func (r *runner) validSummary(repo *manifest.Repository) error {
	r.setOutput("has-changes", "false")
	r.result = ResultNoChanges
	people, services, groups := 0, 0, 0
	for _, e := range repo.Environments {
		groups += len(e.Groups)
		for _, u := range e.Users {
			if u.Kind == manifest.ServiceAccount {
				services++
			} else {
				people++
			}
		}
	}
	summary := fmt.Sprintf("## roster: %s is valid\n\n%d environments; %d user entries for people, %d for service accounts, %d groups. Nothing was planned or applied.\n",
		render.EscapeMarkdown(r.in.Path), len(repo.Environments), people, services, groups)
	matrix, err := r.accessMatrix(repo)
	if err != nil {
		return err
	}
	return r.summary(summary + matrix)
}

// validationSummary is the job summary of invalid manifests.
func validationSummary(dir string, diags diag.List) string {
	var b strings.Builder
	fmt.Fprintf(&b, "## roster: %s is invalid\n\n", render.EscapeMarkdown(dir))
	fmt.Fprintf(&b, "%s, %s. Nothing was planned or applied.\n\n", diags.Tally(diag.Error), diags.Tally(diag.Warning))
	for _, d := range diags {
		icon := "⚠️"
		if d.Severity == diag.Error {
			icon = "❌"
		}
		fmt.Fprintf(&b, "- %s %s: %s", icon, render.EscapeMarkdown(d.Pos.String()), render.EscapeMarkdown(d.Message))
		if d.Hint != "" {
			fmt.Fprintf(&b, " (%s)", render.EscapeMarkdown(d.Hint))
		}
		b.WriteByte('\n')
	}
	return b.String()
}
