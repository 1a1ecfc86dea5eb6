package render

import (
	"bytes"
	"cmp"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/roster-dev/roster/internal/plan"
)

// planView is what the templates see: the plan with every difference worked
// out, so templates only lay it out.
type planView struct {
	// Environments in promotion order (the plan's order).
	Environments []*envView
	// ReviewOrder puts environments with destructive changes first, then
	// the promotion order.
	ReviewOrder []*envView
	Totals      plan.Counts
	HasChanges  bool
	// MovesEnds is true when a pull request moves the end of time-bound
	// access somewhere: a plan without IAM changes still changes access.
	MovesEnds bool
	// Refused names the environments whose plan a guardrail refused.
	Refused []string
	// HasFindings is true when any environment is refused or has warnings.
	HasFindings bool
	// BaseUnavailable says why a pull request's plan could not compare
	// ends of time-bound access with the base branch.
	BaseUnavailable string

	// Markdown only.
	Opts MarkdownOptions
	// Compact leaves out the per-environment details, for comments that
	// would otherwise be too long.
	Compact bool
	// AttentionFirst puts the privilege-raising and destructive changes
	// above the summary table, for a comment cut short: they survive a cut.
	AttentionFirst bool
}

type envView struct {
	Name       string
	AccountID  string
	Production bool
	Refused    string
	Warnings   []string
	Counts     plan.Counts
	Changes    []changeView
	Unmanaged  []string
	// TimeBound are the time-bound grants that stay, each with its end.
	TimeBound []grantView
	// Ends are the grants whose end a pull request moves (ends.go).
	Ends        []endItem
	Destructive bool
	HasChanges  bool
	AccessKeys  []keyView
	// Attention are the privilege-raising and destructive changes, which
	// every plan comment lists by name (attention.go).
	Attention []attentionItem
}

// keyView is a service account's access key steps as plans show them.
type keyView struct {
	ServiceAccount string
	Summary        string
	Refused        string
	// Steps are "action key: reason" lines; Findings the keys a person
	// must look at.
	Steps    []string
	Findings []string
}

// grantView is a time-bound grant: "user priya in group prod-operators
// until 2026-12-03 18:00 UTC". Kind and Until are roster's words; User and
// Group come from the manifests.
type grantView struct {
	Kind, User, Group, Until string
}

// Open reports whether the environment's section of the pull-request
// comment starts expanded: it deletes something, or changes production.
func (e *envView) Open() bool { return e.Destructive || (e.Production && e.HasChanges) }

// HasDetails reports whether the environment has a section of its own in
// the pull-request comment; refusals and warnings are listed with the
// guardrail findings instead.
func (e *envView) HasDetails() bool {
	return e.HasChanges || len(e.Unmanaged) > 0 || len(e.AccessKeys) > 0 || len(e.TimeBound) > 0
}

type changeView struct {
	Action plan.Action
	// Symbol is the one-character mark of the action: + ~ - >.
	Symbol string
	// Kind in words: "user", "service account" or "group".
	Kind   string
	Name   string
	Reason string
	Ops    int
	// Lines are the attribute-level differences (for deletions, the
	// teardown), ready for a terminal or a diff code block.
	Lines []diffLine
}

// diffLine is one line of a change's differences. Text has been cleaned of
// control characters and carries its own indentation.
type diffLine struct {
	// Mark is "+" (added), "-" (removed), "~" (changed, details follow) or
	// " " (unchanged context).
	Mark string
	Text string
}

// String returns the line as it appears in a diff code block.
func (l diffLine) String() string { return l.Mark + " " + l.Text }

func newPlanView(p *plan.Plan) *planView {
	v := &planView{}
	if p == nil {
		return v
	}
	v.Totals = p.Counts()
	v.BaseUnavailable = p.BaseUnavailable
	for _, e := range p.Environments {
		if e == nil {
			continue
		}
		ev := newEnvView(e)
		v.Environments = append(v.Environments, ev)
		v.HasChanges = v.HasChanges || ev.HasChanges
		v.MovesEnds = v.MovesEnds || len(ev.Ends) > 0
		if ev.Refused != "" {
			v.Refused = append(v.Refused, ev.Name)
		}
		if ev.Refused != "" || len(ev.Warnings) > 0 {
			v.HasFindings = true
		}
	}
	v.ReviewOrder = slices.Clone(v.Environments)
	slices.SortStableFunc(v.ReviewOrder, func(a, b *envView) int { return trueFirst(a.Destructive, b.Destructive) })
	return v
}

// trueFirst is a comparison for slices.SortStableFunc that puts the items
// whose flag is set before the others, keeping each part's order.
func trueFirst(a, b bool) int {
	switch {
	case a == b:
		return 0
	case a:
		return -1
	default:
		return 1
	}
}

func newEnvView(e *plan.Environment) *envView {
	ev := &envView{
		Name:       e.Name,
		AccountID:  e.AccountID,
		Production: e.Production,
		Refused:    e.Refused,
		Warnings:   e.Warnings,
		Counts:     e.Counts(),
		HasChanges: e.HasChanges(),
		Attention:  attention(e),
	}
	for _, ch := range e.Changes {
		ev.Destructive = ev.Destructive || ch.Action.Destructive()
		ev.Changes = append(ev.Changes, newChangeView(ch))
	}
	for _, u := range e.Unmanaged {
		ev.Unmanaged = append(ev.Unmanaged, u.Name)
	}
	for _, a := range e.AccessKeys {
		ev.AccessKeys = append(ev.AccessKeys, newKeyView(a))
	}
	for _, g := range e.TimeBound {
		ev.TimeBound = append(ev.TimeBound, grantView{Kind: g.Kind.Noun(), User: g.User, Group: g.Group, Until: g.Until})
	}
	for _, c := range e.EndChanges {
		ev.Ends = append(ev.Ends, newEndItem(e, c))
	}
	return ev
}

func newKeyView(a plan.AccessKey) keyView {
	kv := keyView{ServiceAccount: a.ServiceAccount, Summary: a.Summary, Refused: a.Refused}
	if kv.Summary == "" {
		kv.Summary = fmt.Sprintf("access key of %s: nothing to do", a.ServiceAccount)
	}
	if a.DeliverTo == "pgp" && a.PGPKey != "" {
		kv.Summary += " (PGP key " + fingerprintOf(a.PGPKey) + ")"
	}
	for _, s := range a.Steps {
		kv.Steps = append(kv.Steps, strings.TrimSpace(strings.ReplaceAll(s.Action, "_", " ")+" "+s.KeyID)+": "+s.Reason)
	}
	for _, f := range a.Notes {
		kv.Findings = append(kv.Findings, f.Detail)
	}
	return kv
}

func newChangeView(ch plan.Change) changeView {
	cv := changeView{
		Action: ch.Action,
		Symbol: symbol(ch.Action),
		Kind:   ch.Kind.Noun(),
		Name:   ch.Name,
		Reason: ch.Reason,
		Ops:    len(ch.Ops),
	}
	if ch.Action == plan.Adopt && cv.Reason == "" {
		cv.Reason = "exists in the account without roster's ownership tag; roster takes it over"
	}
	if ch.Action == plan.Delete && len(ch.Ops) > 0 {
		cv.Lines = teardownLines(ch)
	} else {
		cv.Lines = attributeLines(ch)
	}
	return cv
}

// symbol is the Terraform-like mark of an action.
func symbol(a plan.Action) string {
	switch a {
	case plan.Create:
		return "+"
	case plan.Update:
		return "~"
	case plan.Delete:
		return "-"
	case plan.Adopt:
		return ">"
	default:
		return "?"
	}
}

// teardownLines lists what deleting a resource removes, one operation a
// line, in the order apply runs them.
func teardownLines(ch plan.Change) []diffLine {
	lines := make([]diffLine, 0, len(ch.Ops))
	for _, op := range ch.Ops {
		lines = append(lines, diffLine{Mark: "-", Text: CleanText(describeOp(ch, op))})
	}
	return lines
}

// describeOp says in words what an operation does to the resource of ch.
// Deletions read as the thing removed ("access key AKIA…").
func describeOp(ch plan.Change, op plan.Op) string {
	switch op.Type {
	case plan.OpDeleteLoginProfile:
		return "console access (login profile)"
	case plan.OpDeleteAccessKey:
		return "access key " + op.ID
	case plan.OpDeactivateMFADevice:
		return "MFA device " + op.ID + " (deactivate)"
	case plan.OpDeleteVirtualMFADevice:
		return "virtual MFA device " + op.ID
	case plan.OpDeleteSSHPublicKey:
		return "SSH public key " + op.ID
	case plan.OpDeleteSigningCertificate:
		return "signing certificate " + op.ID
	case plan.OpDeleteServiceSpecificCredential:
		return "service-specific credential " + op.ID
	case plan.OpRemoveUserFromGroup:
		if ch.Kind == plan.KindGroup {
			return "member " + op.User
		}
		return "group membership " + op.Group
	case plan.OpDetachUserPolicy, plan.OpDetachGroupPolicy:
		return "managed policy " + op.PolicyARN
	case plan.OpDeleteUserPolicy, plan.OpDeleteGroupPolicy:
		return "inline policy " + op.PolicyName
	case plan.OpDeleteUserPermissionsBoundary:
		if arn := cmp.Or(op.PolicyARN, boundaryOf(ch.Before)); arn != "" {
			return "permissions boundary " + arn
		}
		return "permissions boundary"
	case plan.OpUntagUser:
		return "tags " + strings.Join(op.TagKeys, ", ")
	case plan.OpDeleteUser:
		return "user " + cmp.Or(op.User, ch.Name)
	case plan.OpDeleteGroup:
		return "group " + cmp.Or(op.Group, ch.Name)
	default:
		// Not part of a teardown: named after its IAM call.
		return opTarget(op)
	}
}

// opTarget names an operation by its IAM call and what it acts on. PGP keys
// and policy documents are left out.
func opTarget(op plan.Op) string {
	parts := []string{string(op.Type)}
	for _, s := range []string{op.User, op.Group, op.Path, op.PolicyARN, op.PolicyName, op.ID} {
		if s != "" {
			parts = append(parts, s)
		}
	}
	return strings.Join(parts, " ")
}

func boundaryOf(r *plan.Resource) string {
	if r == nil {
		return ""
	}
	return r.PermissionsBoundary
}

// attributeLines lists the attribute-level differences between Before and
// After. A missing side counts as empty, so a creation lists everything.
func attributeLines(ch plan.Change) []diffLine {
	before, after := ch.Before, ch.After
	if before == nil {
		before = &plan.Resource{}
	}
	if after == nil {
		after = &plan.Resource{}
	}
	var d differ
	d.scalar("path", before.Path, after.Path)
	d.set("group", before.Groups, after.Groups)
	d.set("member", before.Members, after.Members)
	d.set("managed policy", before.ManagedPolicies, after.ManagedPolicies)
	d.inlinePolicies(before.InlinePolicies, after.InlinePolicies)
	d.scalar("permissions boundary", before.PermissionsBoundary, after.PermissionsBoundary)
	d.tags(before.Tags, after.Tags)
	switch {
	case !before.Console && after.Console:
		d.add("+", consoleWords(ch.Ops))
	case before.Console && !after.Console:
		d.add("-", "console access")
	}
	if fp, ok := passwordKey(ch.Ops, plan.OpUpdateLoginProfile); ok {
		d.add("-", "console password, never delivered")
		d.add("+", "console password, new, encrypted to PGP key "+fp+", to be changed at first sign-in")
	}
	for _, op := range ch.Ops {
		if op.Type == plan.OpDeleteVirtualMFADevice {
			d.add("-", "virtual MFA device "+op.ID+" (assigned to no user)")
		}
	}
	return d.lines
}

// passwordKey finds the operation of type t that sets a console password
// and the fingerprint of the key the password is encrypted to.
func passwordKey(ops []plan.Op, t plan.OpType) (string, bool) {
	for _, op := range ops {
		if op.Type != t {
			continue
		}
		fp := opFingerprint(op)
		if fp == "" {
			fp = unreadableKey
		}
		return fp, true
	}
	return "", false
}

// consoleWords describes new console access and the key its initial
// password is encrypted to.
func consoleWords(ops []plan.Op) string {
	if fp, ok := passwordKey(ops, plan.OpCreateLoginProfile); ok {
		return "console access, initial password encrypted to PGP key " + fp
	}
	return "console access"
}

// requireMFAWords stands in for the well-known document of
// plan.RequireMFAPolicy, which every console user gets under
// console_requires_mfa; printing it in full would bury the real changes.
const requireMFAWords = "(roster's require-MFA policy: everything but MFA setup is denied until the user signs in with MFA)"

// differ collects diff lines.
type differ struct {
	lines []diffLine
}

func (d *differ) add(mark, text string) {
	d.lines = append(d.lines, diffLine{Mark: mark, Text: CleanText(text)})
}

func (d *differ) scalar(name, before, after string) {
	if before == after {
		return
	}
	if before != "" {
		d.add("-", name+": "+before)
	}
	if after != "" {
		d.add("+", name+": "+after)
	}
}

func (d *differ) set(name string, before, after []string) {
	for _, s := range sortedUnion(before, after) {
		inBefore, inAfter := slices.Contains(before, s), slices.Contains(after, s)
		switch {
		case inBefore && !inAfter:
			d.add("-", name+" "+s)
		case !inBefore && inAfter:
			d.add("+", name+" "+s)
		}
	}
}

func (d *differ) tags(before, after map[string]string) {
	for _, k := range sortedUnion(slices.Collect(maps.Keys(before)), slices.Collect(maps.Keys(after))) {
		old, inBefore := before[k]
		cur, inAfter := after[k]
		if inBefore && inAfter && old == cur {
			continue
		}
		if inBefore {
			d.add("-", "tag "+k+" = "+old)
		}
		if inAfter {
			d.add("+", "tag "+k+" = "+cur)
		}
	}
}

func (d *differ) inlinePolicies(before, after map[string]string) {
	for _, name := range sortedUnion(slices.Collect(maps.Keys(before)), slices.Collect(maps.Keys(after))) {
		old, inBefore := before[name]
		cur, inAfter := after[name]
		switch {
		case inBefore && inAfter && old == cur:
			continue
		case !inBefore && cur == plan.RequireMFAPolicy:
			d.add("+", "inline policy "+name+" "+requireMFAWords)
		case !inAfter && old == plan.RequireMFAPolicy:
			d.add("-", "inline policy "+name+" "+requireMFAWords)
		case !inBefore:
			d.add("+", "inline policy "+name+":")
			for _, l := range prettyPolicy(cur) {
				d.add("+", "  "+l)
			}
		case !inAfter:
			d.add("-", "inline policy "+name+":")
			for _, l := range prettyPolicy(old) {
				d.add("-", "  "+l)
			}
		default:
			d.add("~", "inline policy "+name+":")
			for _, l := range diffLines(prettyPolicy(old), prettyPolicy(cur), 3) {
				d.add(l.Mark, "  "+l.Text)
			}
		}
	}
}

// prettyPolicy returns a policy document indented, one line per element.
// A document that is not JSON is shown as it is.
func prettyPolicy(doc string) []string {
	var buf bytes.Buffer
	if err := json.Indent(&buf, []byte(doc), "", "  "); err != nil {
		return strings.Split(strings.TrimRight(doc, "\n"), "\n")
	}
	return strings.Split(buf.String(), "\n")
}

func sortedUnion(a, b []string) []string {
	u := append(slices.Clone(a), b...)
	slices.Sort(u)
	return slices.Compact(u)
}

// maxDiffCells bounds the work of a line diff; larger inputs are shown as
// all removed, then all added.
const maxDiffCells = 4_000_000

// shortDiff is the length up to which a diff shows every line: a short
// policy reads best whole.
const shortDiff = 40

// diffLines returns a line diff of a and b. A long diff keeps context lines
// of unchanged text around each change, and "…" stands for what it leaves
// out.
func diffLines(a, b []string, context int) []diffLine {
	var all []diffLine
	if len(a)*len(b) > maxDiffCells {
		for _, l := range a {
			all = append(all, diffLine{Mark: "-", Text: l})
		}
		for _, l := range b {
			all = append(all, diffLine{Mark: "+", Text: l})
		}
	} else {
		all = lcsDiff(a, b)
	}
	if len(all) <= shortDiff {
		return all
	}
	// Keep changed lines and up to context unchanged lines around them.
	keep := make([]bool, len(all))
	for i, l := range all {
		if l.Mark == " " {
			continue
		}
		for j := max(0, i-context); j <= min(len(all)-1, i+context); j++ {
			keep[j] = true
		}
	}
	var out []diffLine
	skipped := false
	for i, l := range all {
		// skipped is set after a left-out line, including leading ones.
		if !keep[i] {
			skipped = true
			continue
		}
		if skipped {
			out = append(out, diffLine{Mark: " ", Text: "…"})
		}
		skipped = false
		out = append(out, l)
	}
	if skipped && len(out) > 0 {
		out = append(out, diffLine{Mark: " ", Text: "…"})
	}
	return out
}

// lcsDiff is a longest-common-subsequence line diff: removals come before
// additions within a changed run.
func lcsDiff(a, b []string) []diffLine {
	// lcs[i][j] is the LCS length of a[i:] and b[j:].
	lcs := make([][]int, len(a)+1)
	for i := range lcs {
		lcs[i] = make([]int, len(b)+1)
	}
	for i := len(a) - 1; i >= 0; i-- {
		for j := len(b) - 1; j >= 0; j-- {
			if a[i] == b[j] {
				lcs[i][j] = lcs[i+1][j+1] + 1
			} else {
				lcs[i][j] = max(lcs[i+1][j], lcs[i][j+1])
			}
		}
	}
	var out []diffLine
	i, j := 0, 0
	for i < len(a) && j < len(b) {
		switch {
		case a[i] == b[j]:
			out = append(out, diffLine{Mark: " ", Text: a[i]})
			i++
			j++
		case lcs[i+1][j] >= lcs[i][j+1]:
			out = append(out, diffLine{Mark: "-", Text: a[i]})
			i++
		default:
			out = append(out, diffLine{Mark: "+", Text: b[j]})
			j++
		}
	}
	for ; i < len(a); i++ {
		out = append(out, diffLine{Mark: "-", Text: a[i]})
	}
	for ; j < len(b); j++ {
		out = append(out, diffLine{Mark: "+", Text: b[j]})
	}
	return out
}

// plural returns "1 thing" or "n things".
func plural(n int, thing string) string {
	if n == 1 {
		return "1 " + thing
	}
	return fmt.Sprintf("%d %ss", n, thing)
}
