package iamtest

import (
	"slices"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
)

// attachPolicy adds a managed policy ARN to a list, enforcing existence and
// the per-entity quota; attaching twice is a no-op, as in IAM.
func attachPolicy(r *request, list []string, quotaName string) ([]string, *apiError) {
	arn, err := r.required("PolicyArn")
	if err != nil {
		return nil, err
	}
	if !validPolicyARN(arn) {
		return nil, invalidInput("ARN %s is not valid.", arn)
	}
	if !r.acct.policyExists(arn) {
		return nil, noSuchEntity("Policy %s does not exist or is not attachable.", arn)
	}
	if slices.Contains(list, arn) {
		r.noop = true
		return list, nil
	}
	if len(list) >= maxManagedPolicies {
		return nil, limitExceeded("Cannot exceed quota for %s: %d", quotaName, maxManagedPolicies)
	}
	return append(list, arn), nil
}

func detachPolicy(r *request, list []string) ([]string, *apiError) {
	arn, err := r.required("PolicyArn")
	if err != nil {
		return nil, err
	}
	if !slices.Contains(list, arn) {
		return nil, noSuchEntity("Policy %s was not found.", arn)
	}
	return slices.DeleteFunc(list, func(a string) bool { return a == arn }), nil
}

func filterPolicyPath(arns []string, prefix string) []string {
	if prefix == "" || prefix == "/" {
		return arns
	}
	var out []string
	for _, a := range arns {
		rest := a[strings.Index(a, ":policy")+len(":policy"):]
		if strings.HasPrefix(rest, prefix) {
			out = append(out, a)
		}
	}
	return out
}

func attachUserPolicy(r *request) (output, *apiError) {
	u, err := r.user(false)
	if err != nil {
		return nil, err
	}
	list, err := attachPolicy(r, u.ManagedPolicies, "PoliciesPerUser")
	if err != nil {
		return nil, err
	}
	u.ManagedPolicies = list
	return nil, nil
}

func detachUserPolicy(r *request) (output, *apiError) {
	u, err := r.user(false)
	if err != nil {
		return nil, err
	}
	list, err := detachPolicy(r, u.ManagedPolicies)
	if err != nil {
		return nil, err
	}
	u.ManagedPolicies = list
	return nil, nil
}

func listAttachedUserPolicies(r *request) (output, *apiError) {
	u, err := r.user(false)
	if err != nil {
		return nil, err
	}
	page, marker, truncated, err := paginate(r, attached(filterPolicyPath(u.ManagedPolicies, r.get("PathPrefix"))))
	if err != nil {
		return nil, err
	}
	return &iam.ListAttachedUserPoliciesOutput{AttachedPolicies: page, Marker: marker, IsTruncated: truncated}, nil
}

func attachGroupPolicy(r *request) (output, *apiError) {
	g, err := r.group()
	if err != nil {
		return nil, err
	}
	list, err := attachPolicy(r, g.ManagedPolicies, "PoliciesPerGroup")
	if err != nil {
		return nil, err
	}
	g.ManagedPolicies = list
	return nil, nil
}

func detachGroupPolicy(r *request) (output, *apiError) {
	g, err := r.group()
	if err != nil {
		return nil, err
	}
	list, err := detachPolicy(r, g.ManagedPolicies)
	if err != nil {
		return nil, err
	}
	g.ManagedPolicies = list
	return nil, nil
}

func listAttachedGroupPolicies(r *request) (output, *apiError) {
	g, err := r.group()
	if err != nil {
		return nil, err
	}
	page, marker, truncated, err := paginate(r, attached(filterPolicyPath(g.ManagedPolicies, r.get("PathPrefix"))))
	if err != nil {
		return nil, err
	}
	return &iam.ListAttachedGroupPoliciesOutput{AttachedPolicies: page, Marker: marker, IsTruncated: truncated}, nil
}

// putInline validates and stores an inline policy, enforcing the aggregate
// size quota of the entity.
func putInline(r *request, policies map[string]string, entity, name string, quota int) *apiError {
	pname, err := r.required("PolicyName")
	if err != nil {
		return err
	}
	if err := validName(pname, 128); err != nil {
		return err
	}
	doc, err := r.required("PolicyDocument")
	if err != nil {
		return err
	}
	if err := validPolicyDocument(doc); err != nil {
		return err
	}
	total := policySize(doc)
	for n, d := range policies {
		if n != pname {
			total += policySize(d)
		}
	}
	if total > quota {
		return limitExceeded("Maximum policy size of %d bytes exceeded for %s %s", quota, entity, name)
	}
	policies[pname] = doc
	return nil
}

func sortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

func putUserPolicy(r *request) (output, *apiError) {
	u, err := r.user(false)
	if err != nil {
		return nil, err
	}
	return nil, putInline(r, u.InlinePolicies, "user", u.Name, maxUserInlineSize)
}

func getUserPolicy(r *request) (output, *apiError) {
	u, err := r.user(false)
	if err != nil {
		return nil, err
	}
	name, err := r.required("PolicyName")
	if err != nil {
		return nil, err
	}
	doc, ok := u.InlinePolicies[name]
	if !ok {
		return nil, noSuchEntity("The user policy with name %s cannot be found.", name)
	}
	return &iam.GetUserPolicyOutput{UserName: aws.String(u.Name), PolicyName: aws.String(name), PolicyDocument: aws.String(urlEncode(doc))}, nil
}

func deleteUserPolicy(r *request) (output, *apiError) {
	u, err := r.user(false)
	if err != nil {
		return nil, err
	}
	name, err := r.required("PolicyName")
	if err != nil {
		return nil, err
	}
	if _, ok := u.InlinePolicies[name]; !ok {
		return nil, noSuchEntity("The user policy with name %s cannot be found.", name)
	}
	delete(u.InlinePolicies, name)
	return nil, nil
}

func listUserPolicies(r *request) (output, *apiError) {
	u, err := r.user(false)
	if err != nil {
		return nil, err
	}
	page, marker, truncated, err := paginate(r, sortedKeys(u.InlinePolicies))
	if err != nil {
		return nil, err
	}
	return &iam.ListUserPoliciesOutput{PolicyNames: nonNil(page), Marker: marker, IsTruncated: truncated}, nil
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

func putGroupPolicy(r *request) (output, *apiError) {
	g, err := r.group()
	if err != nil {
		return nil, err
	}
	return nil, putInline(r, g.InlinePolicies, "group", g.Name, maxGroupInlineSize)
}

func getGroupPolicy(r *request) (output, *apiError) {
	g, err := r.group()
	if err != nil {
		return nil, err
	}
	name, err := r.required("PolicyName")
	if err != nil {
		return nil, err
	}
	doc, ok := g.InlinePolicies[name]
	if !ok {
		return nil, noSuchEntity("The group policy with name %s cannot be found.", name)
	}
	return &iam.GetGroupPolicyOutput{GroupName: aws.String(g.Name), PolicyName: aws.String(name), PolicyDocument: aws.String(urlEncode(doc))}, nil
}

func deleteGroupPolicy(r *request) (output, *apiError) {
	g, err := r.group()
	if err != nil {
		return nil, err
	}
	name, err := r.required("PolicyName")
	if err != nil {
		return nil, err
	}
	if _, ok := g.InlinePolicies[name]; !ok {
		return nil, noSuchEntity("The group policy with name %s cannot be found.", name)
	}
	delete(g.InlinePolicies, name)
	return nil, nil
}

func listGroupPolicies(r *request) (output, *apiError) {
	g, err := r.group()
	if err != nil {
		return nil, err
	}
	page, marker, truncated, err := paginate(r, sortedKeys(g.InlinePolicies))
	if err != nil {
		return nil, err
	}
	return &iam.ListGroupPoliciesOutput{PolicyNames: nonNil(page), Marker: marker, IsTruncated: truncated}, nil
}

func putUserPermissionsBoundary(r *request) (output, *apiError) {
	u, err := r.user(false)
	if err != nil {
		return nil, err
	}
	arn, err := r.required("PermissionsBoundary")
	if err != nil {
		return nil, err
	}
	if !r.acct.policyExists(arn) {
		return nil, noSuchEntity("Scope ARN: %s does not exist or is not attachable.", arn)
	}
	u.PermissionsBoundary = arn
	return nil, nil
}

func deleteUserPermissionsBoundary(r *request) (output, *apiError) {
	u, err := r.user(false)
	if err != nil {
		return nil, err
	}
	if u.PermissionsBoundary == "" {
		return nil, noSuchEntity("The user with name %s has no permissions boundary.", u.Name)
	}
	u.PermissionsBoundary = ""
	return nil, nil
}

// validPolicyARN reports whether arn has the shape of a managed policy ARN.
func validPolicyARN(arn string) bool {
	rest, ok := strings.CutPrefix(arn, "arn:aws:iam::")
	if !ok {
		return false
	}
	acct, rest, ok := strings.Cut(rest, ":policy/")
	return ok && rest != "" && (acct == "aws" || accountIDPattern.MatchString(acct))
}
