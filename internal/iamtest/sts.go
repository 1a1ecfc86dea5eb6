package iamtest

import (
	"fmt"
	"net/http"
	"regexp"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	ststypes "github.com/aws/aws-sdk-go-v2/service/sts/types"
)

var roleARNPattern = regexp.MustCompile(`^arn:aws:iam::([0-9]{12}):role/(?:[\x21-\x7E]*/)?([\w+=,.@-]+)$`)

func assumeRole(r *request) (output, *apiError) {
	arn, err := r.required("RoleArn")
	if err != nil {
		return nil, err
	}
	session, err := r.required("RoleSessionName")
	if err != nil {
		return nil, err
	}
	if !sessionNamePattern.MatchString(session) {
		return nil, validationError("1 validation error detected: Value '%s' at 'roleSessionName' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\w+=,.@-]*", session)
	}
	duration := 3600
	if v, ok, err := r.intParam("DurationSeconds"); err != nil {
		return nil, err
	} else if ok {
		if v < 900 || v > 43200 {
			return nil, validationError("1 validation error detected: Value '%d' at 'durationSeconds' failed to satisfy constraint: Member must have value between 900 and 43200", v)
		}
		duration = v
	}
	denied := errorf(http.StatusForbidden, "AccessDenied", "User: %s is not authorized to perform: sts:AssumeRole on resource: %s", r.caller.arn(), arn)
	m := roleARNPattern.FindStringSubmatch(arn)
	if m == nil {
		return nil, validationError("%s is invalid", arn)
	}
	role, ok := r.srv.role(m[1], m[2])
	if !ok {
		return nil, denied
	}
	keyID := r.srv.newID("ASIA")
	secret := r.srv.newSecret()
	p := principal{account: m[1], role: role.Name, session: session}
	r.srv.mu.Lock()
	r.srv.creds[keyID] = p
	r.srv.mu.Unlock()
	return &sts.AssumeRoleOutput{
		Credentials: &ststypes.Credentials{
			AccessKeyId:     aws.String(keyID),
			SecretAccessKey: aws.String(secret),
			SessionToken:    aws.String(fmt.Sprintf("IQoJiamtest%sSESSION", keyID)),
			Expiration:      aws.Time(time.Now().Add(time.Duration(duration) * time.Second).UTC().Truncate(time.Second)),
		},
		AssumedRoleUser: &ststypes.AssumedRoleUser{
			Arn:           aws.String(p.arn()),
			AssumedRoleId: aws.String(role.ID + ":" + session),
		},
	}, nil
}

// role returns a copy of a role of an existing account, taking the
// account's lock; false when either does not exist.
func (s *Server) role(account, name string) (Role, bool) {
	s.mu.Lock()
	a, ok := s.accounts[account]
	s.mu.Unlock()
	if !ok {
		return Role{}, false
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	ro, ok := a.roles[key(name)]
	if !ok {
		return Role{}, false
	}
	return *ro, true
}

func getCallerIdentity(r *request) (output, *apiError) {
	c := r.caller
	userID := "AIDAIAMTEST" + c.account[2:]
	if c.role != "" {
		if role, ok := r.srv.role(c.account, c.role); ok {
			userID = role.ID + ":" + c.session
		}
	}
	return &sts.GetCallerIdentityOutput{Account: aws.String(c.account), Arn: aws.String(c.arn()), UserId: aws.String(userID)}, nil
}
