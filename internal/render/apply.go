package render

import (
	"cmp"
	"fmt"
	"io"
	"maps"
	"regexp"
	"slices"
	"strings"

	"github.com/roster-dev/roster/internal/apply"
	"github.com/roster-dev/roster/internal/plan"
)

// ApplyMarker starts every apply report in Markdown, so a comment or issue
// holding one can be found again.
const ApplyMarker = "<!-- roster:apply -->"

// ApplyFormatVersion is the version of the apply report's JSON form.
// Additive changes bump the minor version; breaking changes bump the major.
const ApplyFormatVersion = "1.2"

// ApplyText writes the apply report for a terminal: each environment in
// promotion order with its status and, per change, every operation's
// result (done, failed with IAM's error, skipped with the reason), then a
// one-line summary. A new console user's initial password appears only as
// the armored OpenPGP message, with how to decrypt it.
func ApplyText(w io.Writer, r *apply.Result) error {
	if err := templates.ExecuteTemplate(w, "apply.txt.tmpl", newApplyView(r)); err != nil {
		return fmt.Errorf("render apply report as text: %w", err)
	}
	return nil
}

// ApplyMarkdown writes the apply report as Markdown for the merged pull
// request and the job summary: the marker ApplyMarker, a table of
// environments, and a section per environment that was run, open when it
// failed. Every string that came from a manifest or AWS is escaped.
func ApplyMarkdown(w io.Writer, r *apply.Result) error {
	if err := templates.ExecuteTemplate(w, "apply.md.tmpl", newApplyView(r)); err != nil {
		return fmt.Errorf("render apply report as Markdown: %w", err)
	}
	return nil
}

// ApplySummaryMarkdown writes the apply report for the job summary:
// ApplyMarkdown's, except that a sealed access key its publisher already
// wrote to the summary (apply.KeyResult.Published) is named there, not
// repeated, so each encrypted key appears in the summary exactly once.
func ApplySummaryMarkdown(w io.Writer, r *apply.Result) error {
	v := newApplyView(r)
	for _, e := range v.Environments {
		for i, k := range e.AccessKeys {
			if k.Sealed != nil && k.Published {
				e.AccessKeys[i].SealedMarkdown = fmt.Sprintf("🔑 The encrypted access key **%s** of **%s** is above in this job summary, where it was written the moment it was made.",
					EscapeMarkdown(k.Sealed.KeyID), EscapeMarkdown(k.ServiceAccount))
			}
		}
	}
	if err := templates.ExecuteTemplate(w, "apply.md.tmpl", v); err != nil {
		return fmt.Errorf("render apply report as Markdown: %w", err)
	}
	return nil
}

// ExpireMarkdown writes the report of an expire run (engine.Expire) for
// the job summary and the roster:expired issue: ApplyMarkdown's tables and
// sections under its own marker and heading, then left, the sentences of
// LeftForReview, escaped.
func ExpireMarkdown(w io.Writer, r *apply.Result, left []string) error {
	v := newApplyView(r)
	v.Expire, v.Left = true, left
	if err := templates.ExecuteTemplate(w, "apply.md.tmpl", v); err != nil {
		return fmt.Errorf("render expire report as Markdown: %w", err)
	}
	return nil
}

// applyView is what the apply templates see.
type applyView struct {
	// Expire titles the report as an expire run's, which lists Left: what
	// it left for a reviewed apply.
	Expire bool
	// KeysOnly is a run of access key steps alone (apply.Result.KeysOnly).
	KeysOnly     bool
	Left         []string
	Environments []*applyEnvView
	Tally        apply.Tally
	Failed       bool
	// Refused is set when a refusal, not a failure, stopped the apply.
	Refused bool
	// Names of environments by outcome, for the summary line.
	Applied, FailedEnvs, RefusedEnvs, NotAttempted []string
	// Attention are the service accounts whose keys a person must look at
	// (apply.KeyResult.Notes), which the headline names: a run that took no
	// step is not a run where all is well.
	Attention []keyAttention
}

// keyAttention is one service account whose keys need a person, as the
// headline names it.
type keyAttention struct {
	ServiceAccount, Environment string
	// Kinds are the findings in words, such as "rotation blocked".
	Kinds string
}

type applyEnvView struct {
	Name, AccountID string
	Production      bool
	Status          apply.EnvStatus
	StatusWords     string
	Icon            string
	Reason          string
	Tally           apply.Tally
	Changes         []applyChangeView
	// Ran is set when operations were attempted, so per-change results are
	// worth showing.
	Ran bool
	// AccessKeys are the access key steps' results.
	AccessKeys []applyKeyView
	// NeedsPerson is set when a service account's keys need a person, so
	// the section opens.
	NeedsPerson bool
}

// applyKeyView is one service account's access key steps, with a sealed
// key (deliver_to: pgp) laid out for each format, and the findings a
// person must look at.
type applyKeyView struct {
	apply.KeyResult
	SealedText, SealedMarkdown string
	Findings                   []keyNoteView
}

// keyNoteView is a finding of apply.KeyResult.Notes with its kind in words.
type keyNoteView struct{ Label, Detail string }

// keyNoteLabels are the words for the kinds of plan.AccessKeyIssue.
var keyNoteLabels = map[string]string{
	plan.KeyBlocked:  "rotation blocked",
	plan.KeyHandMade: "key made by hand",
}

func keyNoteLabel(kind string) string { return cmp.Or(keyNoteLabels[kind], kind) }

// KeyFinding is a finding of an access key result in words, as the apply
// report lists it ("rotation blocked: a new key is needed …"), for a
// log line or an annotation; the caller escapes it for its medium.
func KeyFinding(n plan.AccessKeyIssue) string { return keyNoteLabel(n.Kind) + ": " + n.Detail }

func newApplyKeyView(k apply.KeyResult) applyKeyView {
	v := applyKeyView{KeyResult: k}
	if v.Summary == "" {
		v.Summary = "access key of " + k.ServiceAccount + ": no step was due"
	}
	for _, n := range k.Notes {
		v.Findings = append(v.Findings, keyNoteView{Label: keyNoteLabel(n.Kind), Detail: n.Detail})
	}
	if k.Sealed != nil {
		v.SealedText = pgpBlock("              ", k.Sealed.Message)
		var b strings.Builder
		_ = SealedKeyMarkdown(&b, *k.Sealed) // a strings.Builder does not fail
		v.SealedMarkdown = strings.TrimRight(b.String(), "\n")
	}
	return v
}

type applyChangeView struct {
	Symbol, Action, Kind, Name string
	// Reason says why, when the plan said it (an expiry, a tombstone).
	Reason string
	Status apply.Status
	Ops    []applyOpView
	// SkipReason is set when every operation was skipped for one reason,
	// so the report says it once.
	SkipReason string
}

type applyOpView struct {
	Status apply.Status
	// Mark is the fixed-width status word for the terminal.
	Mark, Icon string
	Label      string
	Error      string
	Reason     string
	// AlreadyDone: IAM said the goal was already reached.
	AlreadyDone bool
	// Password is the armored, encrypted initial password; Fingerprint the
	// key it is encrypted to. PasswordText and PasswordMarkdown are the
	// message laid out for each format.
	Password, Fingerprint, User    string
	PasswordText, PasswordMarkdown string
}

func newApplyView(r *apply.Result) *applyView {
	v := &applyView{}
	if r == nil {
		return v
	}
	v.Failed, v.KeysOnly = r.Failed(), r.KeysOnly
	v.Refused = r.StoppedBy() != nil && r.StoppedBy().Status == apply.EnvRefused
	v.Tally = r.Tally()
	for _, e := range r.Environments {
		if e == nil {
			continue
		}
		ev := &applyEnvView{
			Name: e.Name, AccountID: e.AccountID, Production: e.Production,
			Status: e.Status, Reason: e.Reason, Tally: e.Tally(),
		}
		ev.StatusWords, ev.Icon = envStatusWords(e.Status)
		ev.Ran = ev.Tally.Done+ev.Tally.Failed > 0
		switch e.Status {
		case apply.EnvApplied:
			v.Applied = append(v.Applied, e.Name)
		case apply.EnvFailed:
			v.FailedEnvs = append(v.FailedEnvs, e.Name)
		case apply.EnvRefused:
			v.RefusedEnvs = append(v.RefusedEnvs, e.Name)
		case apply.EnvNotAttempted:
			v.NotAttempted = append(v.NotAttempted, e.Name)
		case apply.EnvNoChanges, apply.EnvSkipped:
		}
		if s := leftForReview(e.Name, e.Left, "roster rotate takes only access key steps"); s != "" {
			v.Left = append(v.Left, s)
		}
		for i := range e.Changes {
			ev.Changes = append(ev.Changes, newApplyChangeView(&e.Changes[i]))
		}
		for _, k := range e.AccessKeys {
			ev.AccessKeys = append(ev.AccessKeys, newApplyKeyView(k))
			if len(k.Notes) > 0 {
				ev.NeedsPerson = true
				v.Attention = append(v.Attention, newKeyAttention(e.Name, k))
			}
		}
		v.Environments = append(v.Environments, ev)
	}
	return v
}

// newKeyAttention names k's service account and the kinds of its
// findings, each once, in the order found.
func newKeyAttention(env string, k apply.KeyResult) keyAttention {
	var kinds []string
	for _, n := range k.Notes {
		if l := keyNoteLabel(n.Kind); !slices.Contains(kinds, l) {
			kinds = append(kinds, l)
		}
	}
	return keyAttention{ServiceAccount: k.ServiceAccount, Environment: env, Kinds: strings.Join(kinds, ", ")}
}

// envStatuses are the words and icon an apply report shows for each
// environment status.
var envStatuses = map[apply.EnvStatus]struct{ words, icon string }{
	apply.EnvApplied:      {"applied", "✅"},
	apply.EnvFailed:       {"failed", "❌"},
	apply.EnvRefused:      {"refused", "⛔"},
	apply.EnvNotAttempted: {"not attempted", "⏸️"},
	apply.EnvNoChanges:    {"no changes", "➖"},
	apply.EnvSkipped:      {"skipped", "⏭️"},
}

func envStatusWords(s apply.EnvStatus) (words, icon string) {
	if w, ok := envStatuses[s]; ok {
		return w.words, w.icon
	}
	return string(s), "❔"
}

func newApplyChangeView(c *apply.ChangeResult) applyChangeView {
	cv := applyChangeView{
		Symbol: symbol(c.Change.Action),
		Action: string(c.Change.Action),
		Kind:   c.Change.Kind.Noun(),
		Name:   c.Change.Name,
		Reason: c.Change.Reason,
		Status: c.Status(),
	}
	for _, o := range c.Ops {
		ov := applyOpView{
			Status:      o.Status,
			Label:       opLabel(o.Op),
			Error:       o.Error,
			Reason:      o.Reason,
			AlreadyDone: o.Outcome.AlreadyDone,
			Password:    o.Outcome.EncryptedPassword,
			User:        o.Op.User,
		}
		if ov.Password != "" {
			ov.Fingerprint = opFingerprint(o.Op)
			ov.PasswordText = pgpBlock("              ", ov.Password)
			ov.PasswordMarkdown = pgpCode(ov.Password)
		}
		switch o.Status {
		case apply.Done:
			ov.Mark, ov.Icon = "done   ", "✅"
		case apply.Failed:
			ov.Mark, ov.Icon = "FAILED ", "❌"
		default:
			ov.Mark, ov.Icon = "skipped", "⏭️"
		}
		cv.Ops = append(cv.Ops, ov)
	}
	if len(cv.Ops) > 0 && !slices.ContainsFunc(cv.Ops, func(o applyOpView) bool {
		return o.Status != apply.Skipped || o.Reason != cv.Ops[0].Reason
	}) {
		cv.SkipReason = cmp.Or(cv.Ops[0].Reason, "not run")
	}
	return cv
}

// opLabel names an operation by its IAM call and what it acts on; tag keys
// for tag changes and the key fingerprint for a console password. Policy
// documents and PGP keys are left out.
func opLabel(op plan.Op) string {
	s := opTarget(op)
	switch op.Type {
	case plan.OpTagUser:
		s += " " + strings.Join(slices.Sorted(maps.Keys(op.Tags)), ", ")
	case plan.OpUntagUser:
		s += " " + strings.Join(op.TagKeys, ", ")
	case plan.OpCreateLoginProfile, plan.OpUpdateLoginProfile:
		if fp := opFingerprint(op); fp != "" {
			s += " (password encrypted to key " + fp + ")"
		}
	default:
		// The target alone names the operation.
	}
	return s
}

// SealedKeyMarkdown writes a new access key sealed for deliver_to: pgp as
// Markdown, the way the apply report shows it: who it is for, the key it is
// encrypted to, and the armored message in a fenced block (left out when it
// is not shaped like one).
func SealedKeyMarkdown(w io.Writer, k apply.SealedKey) error {
	code := pgpCode(k.Message)
	if code == "" {
		_, err := fmt.Fprintf(w, "The encrypted access key of **%s** is not an armored OpenPGP message, so it is left out here; see the log.\n", EscapeMarkdown(k.ServiceAccount))
		return err
	}
	_, err := fmt.Fprintf(w, "🔑 Access key **%s** of **%s** in **%s**, encrypted to key **%s**. Its owner reads it with `gpg --decrypt`:\n\n%s\n",
		EscapeMarkdown(k.KeyID), EscapeMarkdown(k.ServiceAccount), EscapeMarkdown(k.Environment), EscapeMarkdown(k.Fingerprint), code)
	return err
}

// pgpBlock indents an armored message for the terminal, one line at a
// time, with control characters made visible.
func pgpBlock(indent, msg string) string {
	var b strings.Builder
	for line := range strings.SplitSeq(strings.TrimRight(msg, "\n"), "\n") {
		b.WriteString(indent)
		b.WriteString(CleanText(strings.TrimRight(line, "\r")))
		b.WriteByte('\n')
	}
	return strings.TrimSuffix(b.String(), "\n")
}

// armorLine matches every line of an ASCII-armored OpenPGP message: the
// BEGIN and END lines, armor headers, base64 and the checksum.
var armorLine = regexp.MustCompile(`^[A-Za-z0-9+/=:., ()_-]*$`)

// pgpCode puts an armored message in a fenced code block for Markdown, or
// returns "" when the text is not shaped like one: nothing else may reach a
// comment through this field.
func pgpCode(msg string) string {
	msg = strings.ReplaceAll(msg, "\r", "")
	for line := range strings.SplitSeq(strings.TrimRight(msg, "\n"), "\n") {
		if !armorLine.MatchString(line) {
			return ""
		}
	}
	return codeBlock("", msg)
}

// The JSON form of an apply report, kept apart from package apply so the
// format changes only on purpose.

type jsonApply struct {
	FormatVersion string                  `json:"format_version"`
	Failed        bool                    `json:"failed"`
	Counts        jsonApplyCounts         `json:"counts"`
	Environments  []*jsonApplyEnvironment `json:"environments"`
}

type jsonApplyCounts struct {
	Done    int `json:"done"`
	Failed  int `json:"failed"`
	Skipped int `json:"skipped"`
}

type jsonApplyEnvironment struct {
	Name       string            `json:"name"`
	AccountID  string            `json:"account_id"`
	Production bool              `json:"production"`
	Status     string            `json:"status"`
	Reason     string            `json:"reason,omitempty"`
	Digest     string            `json:"digest,omitempty"`
	Counts     jsonApplyCounts   `json:"counts"`
	Changes    []jsonApplyChange `json:"changes"`
	// AccessKeys: since 1.1.
	AccessKeys []jsonApplyKey `json:"access_keys"`
}

// jsonApplyKey is one service account's access key steps; a pgp delivery
// carries the key only as the armored message.
type jsonApplyKey struct {
	ServiceAccount string                `json:"service_account"`
	Destination    string                `json:"destination"`
	Summary        string                `json:"summary,omitempty"`
	Steps          []apply.KeyStepResult `json:"steps"`
	Error          string                `json:"error,omitempty"`
	// Findings: since 1.2, as the plan's access_keys[].findings.
	Findings     []plan.AccessKeyIssue `json:"findings"`
	KeyID        string                `json:"key_id,omitempty"`
	Fingerprint  string                `json:"pgp_key_fingerprint,omitempty"`
	EncryptedKey string                `json:"encrypted_key,omitempty"`
	DecryptWith  string                `json:"decrypt_with,omitempty"`
}

func applyKeysJSON(ks []apply.KeyResult) []jsonApplyKey {
	out := []jsonApplyKey{}
	for _, k := range ks {
		jk := jsonApplyKey{ServiceAccount: k.ServiceAccount, Destination: k.Destination, Summary: k.Summary, Steps: k.Steps, Error: k.Error, Findings: nonNil(k.Notes)}
		if s := k.Sealed; s != nil {
			jk.KeyID, jk.Fingerprint, jk.EncryptedKey, jk.DecryptWith = s.KeyID, s.Fingerprint, s.Message, "gpg --decrypt"
		}
		out = append(out, jk)
	}
	return out
}

type jsonApplyChange struct {
	Action string        `json:"action"`
	Kind   string        `json:"kind"`
	Name   string        `json:"name"`
	Status string        `json:"status"`
	Ops    []jsonApplyOp `json:"ops"`
}

type jsonApplyOp struct {
	jsonOp
	Status            string `json:"status"`
	Error             string `json:"error,omitempty"`
	Reason            string `json:"reason,omitempty"`
	AlreadyDone       bool   `json:"already_done,omitempty"`
	EncryptedPassword string `json:"encrypted_password,omitempty"`
	// DecryptWith tells how the owner reads EncryptedPassword.
	DecryptWith string `json:"decrypt_with,omitempty"`
}

func tallyJSON(t apply.Tally) jsonApplyCounts {
	return jsonApplyCounts{Done: t.Done, Failed: t.Failed, Skipped: t.Skipped}
}

// ApplyJSON writes the apply report as JSON: whether it failed, counts of
// operations by status, and each environment with its status, reason,
// digest and every operation's result. PGP keys appear as fingerprints;
// a console password only as the armored encrypted message.
func ApplyJSON(w io.Writer, r *apply.Result) error {
	out := jsonApply{FormatVersion: ApplyFormatVersion, Environments: []*jsonApplyEnvironment{}}
	if r != nil {
		out.Failed = r.Failed()
		out.Counts = tallyJSON(r.Tally())
		for _, e := range r.Environments {
			if e == nil {
				continue
			}
			je := &jsonApplyEnvironment{
				Name: e.Name, AccountID: e.AccountID, Production: e.Production,
				Status: string(e.Status), Reason: e.Reason, Digest: e.Digest,
				Counts: tallyJSON(e.Tally()), Changes: []jsonApplyChange{},
				AccessKeys: applyKeysJSON(e.AccessKeys),
			}
			for i := range e.Changes {
				c := &e.Changes[i]
				jc := jsonApplyChange{
					Action: string(c.Change.Action), Kind: string(c.Change.Kind), Name: c.Change.Name,
					Status: string(c.Status()), Ops: []jsonApplyOp{},
				}
				for _, o := range c.Ops {
					op := o.Op
					decrypt := ""
					if o.Outcome.EncryptedPassword != "" {
						decrypt = "gpg --decrypt"
					}
					jc.Ops = append(jc.Ops, jsonApplyOp{
						jsonOp:            toJSONOp(op),
						Status:            string(o.Status),
						Error:             o.Error,
						Reason:            o.Reason,
						AlreadyDone:       o.Outcome.AlreadyDone,
						EncryptedPassword: o.Outcome.EncryptedPassword,
						DecryptWith:       decrypt,
					})
				}
				je.Changes = append(je.Changes, jc)
			}
			out.Environments = append(out.Environments, je)
		}
	}
	return writeJSON(w, "apply report", out)
}
