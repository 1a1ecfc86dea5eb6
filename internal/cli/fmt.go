package cli

import (
	"context"
	"flag"
	"fmt"

	"github.com/roster-dev/roster/internal/format"
)

func fmtCommand() *command {
	return &command{
		name:    "fmt",
		usage:   "[--dir DIR] [--check] [--diff]",
		summary: "rewrite manifests in canonical form",
		help: `Formats roster.yaml, every environment.yaml and every manifest under the access
directory: keys in the documented order (name first), entries sorted by name,
groups, managed policies, tags, inline policy names and unmanaged.ignore
sorted, two-space indentation. Comments, blank lines, quoting and policy
documents are kept as written. A file that uses YAML aliases keeps its order
(an anchor must stay before its aliases); only its indentation changes.
Formatting twice changes nothing.

With --check nothing is written: the files that would change are listed and
the exit status is 1 when there are any (for CI). With --diff each file that
formatting changes is shown as a unified diff (with --check, instead of being
written; without it, as it is written).`,
		flags: func(fs *flag.FlagSet) func(context.Context, []string, Env) error {
			dir := dirFlag(fs)
			check := fs.Bool("check", false, "list files that are not formatted and exit 1 if any; write nothing")
			showDiff := fs.Bool("diff", false, "show each change as a unified diff")
			return func(_ context.Context, args []string, env Env) error {
				if err := noArgs("fmt", args); err != nil {
					return err
				}
				files, err := format.Dir(*dir)
				var changed int
				for _, f := range files {
					if !f.Changed() {
						continue
					}
					changed++
					if *showDiff {
						fmt.Fprint(env.Stdout, f.Diff())
					}
					if *check {
						if !*showDiff {
							fmt.Fprintln(env.Stdout, f.Path)
						}
						continue
					}
					if werr := f.Write(); werr != nil {
						return failf("write %s: %w", f.Path, werr)
					}
					if !*showDiff {
						fmt.Fprintln(env.Stdout, f.Path)
					}
				}
				if err != nil {
					return &exitError{Code: ExitFailure, Err: err}
				}
				if *check && changed > 0 {
					return failf("%d %s not formatted; run roster fmt --dir %s", changed, map[bool]string{true: "file is", false: "files are"}[changed == 1], *dir)
				}
				return nil
			}
		},
	}
}
