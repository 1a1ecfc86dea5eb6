package engine

import (
	"bytes"
	"context"
	"fmt"
	"regexp"
	"testing"

	"github.com/roster-dev/roster/internal/golden"
	"github.com/roster-dev/roster/internal/pgpkey"
	"github.com/roster-dev/roster/internal/render"
	"github.com/roster-dev/roster/internal/testfixture"
)

// armoredBody matches the body of an armored OpenPGP message, which is
// new on every encryption: goldens show where it goes, not its bytes.
var armoredBody = regexp.MustCompile(`(?s)(-----BEGIN PGP MESSAGE-----\n).*?(\s*-----END PGP MESSAGE-----)`)

// The plan and the rotation report, as text and Markdown, of a first
// delivery and of a rotation, for both destinations: what reviewers, the
// job summary (each pgp message exactly once) and the apply report show. No secret can be in them (TestRotateSchedule
// searches every report); the pgp message is replaced by a placeholder.
func TestAccessKeyReportsGolden(t *testing.T) {
	t.Parallel()
	for _, deliver := range []string{"secretsmanager", "pgp"} {
		t.Run(deliver, func(t *testing.T) {
			t.Parallel()
			r := newRotateRig(t, deliver)
			for _, step := range []struct {
				name string
				day  int
			}{{"first-delivery", 0}, {"rotation", 90}, {"deactivation", 97}} {
				r.setDay(step.day)
				var out bytes.Buffer
				p, err := Plan(context.Background(), r.repo, r.repo.Environments, r.src, rotateDay0.AddDate(0, 0, step.day))
				if err != nil {
					t.Fatal(err)
				}
				published := len(r.published)
				res := r.rotate(t)
				out.WriteString("$ roster plan\n")
				if err := render.Text(&out, p); err != nil {
					t.Fatal(err)
				}
				out.WriteString("\n--- plan comment ---\n")
				if err := render.Markdown(&out, p, render.MarkdownOptions{}); err != nil {
					t.Fatal(err)
				}
				out.WriteString("\n$ roster rotate\n")
				if err := render.ApplyText(&out, res); err != nil {
					t.Fatal(err)
				}
				// The Action's job summary: each sealed key as it is made,
				// then the report, which names it without repeating it.
				out.WriteString("\n--- job summary ---\n")
				for _, k := range r.published[published:] {
					if err := render.SealedKeyMarkdown(&out, k); err != nil {
						t.Fatal(err)
					}
				}
				if err := render.ApplySummaryMarkdown(&out, res); err != nil {
					t.Fatal(err)
				}
				out.WriteString("\n--- apply report (Markdown: a merged pull request, the apply-failed issue) ---\n")
				if err := render.ApplyMarkdown(&out, res); err != nil {
					t.Fatal(err)
				}
				got := armoredBody.ReplaceAll(out.Bytes(), []byte("${1}[the key, encrypted to the pgp_key]${2}"))
				// The test key pair is generated per test binary.
				got = bytes.ReplaceAll(got, []byte(pgpkey.Fingerprint(testfixture.PGPKey(t).Base64)), []byte("<pgp_key fingerprint>"))
				golden.File(t, "keys-"+deliver+"-"+step.name+".golden", numberKeys(got))
			}
		})
	}
}

var keyID = regexp.MustCompile(`AKIA[0-9A-Z]{16,}`)

// numberKeys names key IDs by their order of appearance (AKIA-KEY-1, …):
// the fake's IDs follow its call sequence, which is not this test's concern.
func numberKeys(b []byte) []byte {
	seen := map[string]string{}
	return keyID.ReplaceAllFunc(b, func(id []byte) []byte {
		n, ok := seen[string(id)]
		if !ok {
			n = fmt.Sprintf("AKIA-KEY-%d", len(seen)+1)
			seen[string(id)] = n
		}
		return []byte(n)
	})
}
