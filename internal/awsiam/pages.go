package awsiam

import "context"

// pager is the shape of the SDK's paginators (iam.NewListUsersPaginator,
// organizations.NewListAccountsPaginator, ...): pages until HasMorePages
// is false.
type pager[Page, Options any] interface {
	HasMorePages() bool
	NextPage(ctx context.Context, optFns ...func(Options)) (Page, error)
}

// eachPage calls visit with every page of p in turn, and stops at the
// first error, which it returns as the SDK gave it.
func eachPage[Page, Options any](ctx context.Context, p pager[Page, Options], visit func(Page)) error {
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return err
		}
		visit(page)
	}
	return nil
}
