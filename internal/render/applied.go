package render

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/roster-dev/roster/internal/apply"
	"github.com/roster-dev/roster/internal/manifest"
	"github.com/roster-dev/roster/internal/plan"
	"github.com/roster-dev/roster/internal/trailer"
)

// The apply report on a merged pull request keeps, on the line after
// ApplyMarker, a hidden record of every environment applied from that pull
// request: the digest of the plan applied there and the run that applied
// it. A re-run of the merge's apply reads it back (ParseApplied) to tell an
// environment it already applied from one changed by someone else.
var appliedRecord = trailer.New("applied", errors.New("no applied record"))

// Applied is one environment the record names.
type Applied struct {
	Digest string `json:"digest"`
	// Run links to the workflow run that applied it.
	Run string `json:"run,omitempty"`
}

// ParseApplied reads the record of an apply report body. Only the line
// right after the marker counts, in exactly the form roster writes it, with
// well-formed environment names and digests; anything else reads as no
// record (nil), so nothing is taken for applied on an edited report.
func ParseApplied(body string) map[string]Applied {
	lines := strings.SplitN(body, "\n", 3)
	if len(lines) < 2 || strings.TrimRight(lines[0], "\r") != ApplyMarker {
		return nil
	}
	var rec map[string]Applied
	if err := appliedRecord.DecodeLine(strings.TrimRight(lines[1], "\r"), &rec); err != nil || rec == nil {
		return nil
	}
	for name, a := range rec {
		if !manifest.IsEnvironmentName(name) || !plan.IsDigest(a.Digest) {
			return nil
		}
	}
	return rec
}

// ApplyReportOptions carry what an apply report on a merged pull request keeps
// from the report already there.
type ApplyReportOptions struct {
	// Earlier is the body of the report already on the pull request, ""
	// for none.
	Earlier string
	// Carried names the environments this run found applied by an earlier
	// run (engine.AppliedEarlier): their rows and sections are kept from
	// Earlier, so the operations that run did (and the encrypted passwords
	// it delivered) stay in the report.
	Carried []string
	// RunURL is this run's link, recorded for each environment it applied.
	RunURL string
}

// ApplyReport writes the apply report for a merged pull request: the
// Markdown of ApplyMarkdown, with the record of every environment applied
// from the pull request (the earlier report's and this run's) on the line
// after the marker, and the carried environments' rows and sections as the
// earlier report has them.
func ApplyReport(w io.Writer, r *apply.Result, o ApplyReportOptions) error {
	var buf bytes.Buffer
	if err := ApplyMarkdown(&buf, r); err != nil {
		return err
	}
	body := buf.String()
	rec := ParseApplied(o.Earlier)
	if rec == nil {
		rec = map[string]Applied{}
	}
	for _, e := range r.Environments {
		if e.Status == apply.EnvApplied && !slices.Contains(o.Carried, e.Name) && plan.IsDigest(e.Digest) {
			rec[e.Name] = Applied{Digest: e.Digest, Run: safeURL(o.RunURL)}
		}
	}
	for _, name := range o.Carried {
		if was, now := applyRow(o.Earlier, name), applyRow(body, name); was != "" && now != "" {
			body = strings.Replace(body, now, was, 1)
		}
		if was, now := applySection(o.Earlier, name), applySection(body, name); was != "" && now != "" {
			body = strings.Replace(body, now, was, 1)
		}
	}
	line, err := appliedRecord.Encode(rec) // keys sorted
	if err != nil {
		return fmt.Errorf("encode the applied record: %w", err)
	}
	body = strings.Replace(body, ApplyMarker+"\n", ApplyMarker+"\n"+line, 1)
	_, err = io.WriteString(w, body)
	return err
}

// applyRow returns an environment's row of an apply report's table, or "".
func applyRow(body, env string) string {
	for line := range strings.SplitSeq(body, "\n") {
		if strings.HasPrefix(line, "| **"+env+"**") {
			return line
		}
	}
	return ""
}

// applySection returns an environment's section of an apply report, from
// "<details" to "</details>", or "". Names and texts from manifests or AWS
// are escaped in a report, so neither tag can appear inside a section.
func applySection(body, env string) string {
	i := strings.Index(body, "\n<summary><b>"+env+"</b>")
	if i < 0 {
		return ""
	}
	start := strings.LastIndex(body[:i], "<details")
	end := strings.Index(body[i:], "</details>")
	if start < 0 || end < 0 {
		return ""
	}
	return body[start : i+end+len("</details>")]
}
