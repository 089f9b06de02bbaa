/* Sigma condition expressions (private to src/rule/). */
#ifndef MH_RULE_COND_H
#define MH_RULE_COND_H

#include "rule/rule_int.h"

typedef struct mh_cond_sel {
	const char *name;
	cnode *node;
} mh_cond_sel;

/* Compile the condition node (a string, or a list of strings = OR) over
 * the named selections into *out. Errors name the identifier and give
 * the line:column inside the condition where possible. */
mh_rc mh_cond_compile(pctx *c, yaml_node_t *cond, const mh_cond_sel *sels,
		      size_t nsel, cnode **out);
/* Compute costs and order AND/OR children cheapest first. */
void mh_cnode_optimize(cnode *n);

#endif
