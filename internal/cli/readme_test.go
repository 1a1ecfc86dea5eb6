package cli

import (
	"flag"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

var flagName = regexp.MustCompile(`--[a-z][a-z-]*`)

// flagsIn lists the distinct --flags a usage line names, sorted.
func flagsIn(s string) []string {
	out := flagName.FindAllString(s, -1)
	slices.Sort(out)
	return slices.Compact(out)
}

// TestREADMECommandsMatchHelp binds README.md's command table to the
// commands: every command has a row, and the row, the command's usage line
// and the flags it accepts name the same flags.
func TestREADMECommandsMatchHelp(t *testing.T) {
	t.Parallel()
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	rows := map[string]string{}
	row := regexp.MustCompile("(?m)^\\| `roster ([a-z]+)([^`]*)` \\|")
	for _, m := range row.FindAllStringSubmatch(string(readme), -1) {
		rows[m[1]] = strings.ReplaceAll(m[2], `\|`, "|")
	}
	for _, c := range commands() {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			usage, ok := rows[c.name]
			if !ok {
				t.Fatalf("README.md has no row for roster %s", c.name)
			}
			fs := flag.NewFlagSet(c.name, flag.ContinueOnError)
			c.flags(fs)
			var defined []string
			fs.VisitAll(func(f *flag.Flag) { defined = append(defined, "--"+f.Name) })
			slices.Sort(defined)
			if diff := cmp.Diff(defined, flagsIn(c.usage)); diff != "" {
				t.Errorf("roster %s --help usage line %q vs its flags (-flags +usage):\n%s", c.name, c.usage, diff)
			}
			if diff := cmp.Diff(defined, flagsIn(usage)); diff != "" {
				t.Errorf("README.md row %q vs the flags of roster %s (-flags +README):\n%s", usage, c.name, diff)
			}
		})
	}
}
