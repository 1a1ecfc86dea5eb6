package awsiam

import (
	"bytes"
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/iam/types"
	"github.com/aws/smithy-go"

	"github.com/roster-dev/roster/internal/state"
)

// CredentialReportPermissions are the IAM actions ReadCredentialReport
// calls. Drift reads the report with the apply role (role_arn), whose
// published policy allows them; plans never read it, so the plan role does
// not need them.
var CredentialReportPermissions = []string{
	"iam:GenerateCredentialReport",
	"iam:GetCredentialReport",
}

// Default polling of ReadCredentialReport: IAM usually generates a report
// in seconds, and gives up on nothing, so roster does.
const (
	DefaultReportAttempts = 20
	DefaultReportInterval = 2 * time.Second
)

// firstReportWait is the first wait for a report being generated.
const firstReportWait = 250 * time.Millisecond

// ReportOptions bound the wait for IAM to generate a credential report.
type ReportOptions struct {
	// Attempts is how many times GenerateCredentialReport is called before
	// giving up (DefaultReportAttempts when zero or negative).
	Attempts int
	// Interval is the longest wait between attempts (DefaultReportInterval
	// when zero; negative means no wait, for tests). The first wait is a
	// quarter of a second, doubling up to Interval.
	Interval time.Duration
}

// ErrReportTimeout is returned (wrapped) when IAM did not finish the
// credential report within ReportOptions.Attempts.
var ErrReportTimeout = errors.New("the credential report was not ready in time")

// ReadCredentialReport asks IAM for the account's credential report: it
// calls GenerateCredentialReport until the report is COMPLETE (IAM reuses a
// report up to four hours old), waiting longer between calls up to Interval, at most
// Attempts times, then reads it with GetCredentialReport and parses it. A
// report that expires or goes missing between the two calls is generated
// again, within the same attempts.
func ReadCredentialReport(ctx context.Context, a *Account, opts ReportOptions) (*state.CredentialReport, error) {
	attempts := opts.Attempts
	if attempts <= 0 {
		attempts = DefaultReportAttempts
	}
	interval := opts.Interval
	if interval == 0 {
		interval = DefaultReportInterval
	}
	wait := min(firstReportWait, interval)
	for i := range attempts {
		if i > 0 && interval > 0 {
			t := time.NewTimer(wait)
			wait = min(2*wait, interval)
			select {
			case <-ctx.Done():
				t.Stop()
				return nil, classify(a.Env, a.Role, ctx.Err())
			case <-t.C:
			}
		}
		gen, err := a.iam.GenerateCredentialReport(ctx, &iam.GenerateCredentialReportInput{})
		if err != nil {
			return nil, classify(a.Env, a.Role, fmt.Errorf("generate the credential report: %w", err))
		}
		if gen.State != types.ReportStateTypeComplete {
			continue
		}
		out, err := a.iam.GetCredentialReport(ctx, &iam.GetCredentialReportInput{})
		if err != nil {
			var api smithy.APIError
			if errors.As(err, &api) {
				switch api.ErrorCode() {
				case "ReportInProgress", "ReportNotPresent", "ReportExpired":
					continue
				}
			}
			return nil, classify(a.Env, a.Role, fmt.Errorf("get the credential report: %w", err))
		}
		if out.ReportFormat != "" && out.ReportFormat != types.ReportFormatTypeTextCsv {
			return nil, &EnvError{Env: a.Env, Err: fmt.Errorf("credential report in unknown format %q", out.ReportFormat)}
		}
		rep, err := ParseCredentialReport(out.Content)
		if err != nil {
			return nil, &EnvError{Env: a.Env, Err: err}
		}
		rep.GeneratedAt = aws.ToTime(out.GeneratedTime).UTC()
		return rep, nil
	}
	return nil, &EnvError{Env: a.Env, Err: fmt.Errorf("%w (%d attempts); run again in a minute", ErrReportTimeout, attempts)}
}

// reportColumns are the credential report columns roster reads; the report
// has more, and may gain others, which are ignored.
var reportColumns = []string{
	"user", "arn", "user_creation_time", "password_enabled", "password_last_used", "password_last_changed",
	"mfa_active",
	"access_key_1_active", "access_key_1_last_rotated", "access_key_1_last_used_date",
	"access_key_2_active", "access_key_2_last_rotated", "access_key_2_last_used_date",
}

// rootUser is how the credential report names the account's root user.
const rootUser = "<root_account>"

// ParseCredentialReport parses the CSV content of a credential report,
// finding columns by their header names. The root user's row is left out.
// "N/A", "no_information" and "not_supported" become no time (nil) or
// false; any other value that is not a valid time or boolean is an error
// naming its line and column.
func ParseCredentialReport(content []byte) (*state.CredentialReport, error) {
	r := csv.NewReader(bytes.NewReader(content))
	r.FieldsPerRecord = 0
	header, err := r.Read()
	if err != nil {
		return nil, fmt.Errorf("parse the credential report: %w", err)
	}
	col := map[string]int{}
	for i, h := range header {
		col[strings.TrimSpace(h)] = i
	}
	for _, c := range reportColumns {
		if _, ok := col[c]; !ok {
			return nil, fmt.Errorf("parse the credential report: no column %q", c)
		}
	}
	rep := &state.CredentialReport{Users: []state.CredentialReportUser{}}
	for line := 2; ; line++ {
		row, err := r.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("parse the credential report: %w", err)
		}
		p := rowParser{row: row, col: col, line: line}
		name := p.str("user")
		if name == rootUser {
			continue
		}
		u := state.CredentialReportUser{
			User:                name,
			ARN:                 p.str("arn"),
			PasswordEnabled:     p.boolean("password_enabled"),
			PasswordLastUsed:    p.time("password_last_used"),
			PasswordLastChanged: p.time("password_last_changed"),
			MFAActive:           p.boolean("mfa_active"),
		}
		if t := p.time("user_creation_time"); t != nil {
			u.Created = *t
		}
		for n := 1; n <= 2; n++ {
			prefix := fmt.Sprintf("access_key_%d_", n)
			rotated := p.time(prefix + "last_rotated")
			if rotated == nil {
				continue // no such key
			}
			u.AccessKeys = append(u.AccessKeys, state.CredentialReportKey{
				Number:      n,
				Active:      p.boolean(prefix + "active"),
				LastRotated: *rotated,
				LastUsed:    p.time(prefix + "last_used_date"),
			})
		}
		if p.err != nil {
			return nil, fmt.Errorf("parse the credential report: %w", p.err)
		}
		rep.Users = append(rep.Users, u)
	}
	slices.SortFunc(rep.Users, func(a, b state.CredentialReportUser) int { return strings.Compare(a.User, b.User) })
	return rep, nil
}

// rowParser reads typed values from one report row, remembering the first
// error.
type rowParser struct {
	row  []string
	col  map[string]int
	line int
	err  error
}

func (p *rowParser) str(name string) string {
	i := p.col[name]
	if i >= len(p.row) {
		return ""
	}
	return strings.TrimSpace(p.row[i])
}

// absent reports whether a value means "nothing to report".
func absent(v string) bool {
	switch v {
	case "", "N/A", "no_information", "not_supported":
		return true
	}
	return false
}

func (p *rowParser) time(name string) *time.Time {
	v := p.str(name)
	if absent(v) {
		return nil
	}
	t, err := time.Parse(time.RFC3339, v)
	if err != nil {
		p.fail(name, v)
		return nil
	}
	t = t.UTC()
	return &t
}

func (p *rowParser) boolean(name string) bool {
	switch v := p.str(name); {
	case v == "true":
		return true
	case v == "false" || absent(v):
		return false
	default:
		p.fail(name, v)
		return false
	}
}

func (p *rowParser) fail(name, v string) {
	if p.err == nil {
		p.err = fmt.Errorf("line %d, column %s: unexpected value %q", p.line, name, v)
	}
}
