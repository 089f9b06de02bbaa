/* The pcap reader's flow table (input/pcap.c): TCP and UDP flows by
 * 5-tuple in a bounded hash table, live and ended flows in two lists in
 * the order they began, and a short queue of flows whose event is due.
 * What a flow records from each packet (bytes, flags, the first payload
 * bytes each way) is described at the top of input/pcap.c. Not
 * thread-safe. */
#include "input/pcap_int.h"

#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#define TH_FIN 0x01
#define TH_SYN 0x02
#define TH_RST 0x04
#define TH_ACK 0x10

bool mh_pcap_ftab_init(pc_ftab *t, size_t max_flows)
{
	uint32_t nb = 1;

	memset(t, 0, sizeof(*t));
	t->max_flows =
	    max_flows > 0x40000000u ? 0x40000000u : (uint32_t)max_flows;
	while (nb < t->max_flows * 2u && nb < 0x40000000u)
		nb <<= 1;
	t->nbuckets = nb;
	t->buckets = malloc((size_t)nb * sizeof(*t->buckets));
	if (!t->buckets)
		return false;
	memset(t->buckets, 0xff, (size_t)nb * sizeof(*t->buckets));
	t->free_head = PC_NIL;
	t->live.head = t->live.tail = PC_NIL;
	t->closed.head = t->closed.tail = PC_NIL;
	return true;
}

void mh_pcap_ftab_free(pc_ftab *t)
{
	free(t->flows);
	free(t->buckets);
	t->flows = NULL;
	t->buckets = NULL;
}

static uint32_t hash_key(const mh_pcap_pkt *k)
{
	/* symmetric: both directions of a flow hash alike */
	uint64_t h = 1469598103934665603ULL ^ k->proto;
	uint64_t a = 0, b = 0;

	for (int i = 0; i < 16; i++) {
		a = a * 31 + k->src.b[i];
		b = b * 31 + k->dst.b[i];
	}
	a = a * 65599 + k->sport;
	b = b * 65599 + k->dport;
	h ^= a + b;
	h *= 1099511628211ULL;
	h ^= (a ^ b) >> 7;
	h *= 0x9E3779B97F4A7C15ULL;
	return (uint32_t)(h >> 32);
}

/* Direction of k in f: 0 client->server, 1 server->client, -1 other. */
static int flow_dir(const pc_flow *f, const mh_pcap_pkt *k)
{
	if (f->proto != k->proto)
		return -1;
	if (f->port[0] == k->sport && f->port[1] == k->dport &&
	    !memcmp(f->ip[0].b, k->src.b, 16) &&
	    !memcmp(f->ip[1].b, k->dst.b, 16))
		return 0;
	if (f->port[1] == k->sport && f->port[0] == k->dport &&
	    !memcmp(f->ip[1].b, k->src.b, 16) &&
	    !memcmp(f->ip[0].b, k->dst.b, 16))
		return 1;
	return -1;
}

static void list_del(pc_ftab *t, pc_list *l, uint32_t i)
{
	pc_flow *f = &t->flows[i];

	if (f->prev != PC_NIL)
		t->flows[f->prev].next = f->next;
	else
		l->head = f->next;
	if (f->next != PC_NIL)
		t->flows[f->next].prev = f->prev;
	else
		l->tail = f->prev;
	f->prev = f->next = PC_NIL;
}

static void list_add(pc_ftab *t, pc_list *l, uint32_t i)
{
	pc_flow *f = &t->flows[i];

	f->next = PC_NIL;
	f->prev = l->tail;
	if (l->tail != PC_NIL)
		t->flows[l->tail].next = i;
	else
		l->head = i;
	l->tail = i;
}

static void hash_del(pc_ftab *t, uint32_t i, uint32_t h)
{
	uint32_t *pp = &t->buckets[h & (t->nbuckets - 1)];

	while (*pp != PC_NIL) {
		if (*pp == i) {
			*pp = t->flows[i].hnext;
			return;
		}
		pp = &t->flows[*pp].hnext;
	}
}

static uint32_t flow_hash(const pc_flow *f)
{
	mh_pcap_pkt k;

	k.src = f->ip[0];
	k.dst = f->ip[1];
	k.sport = f->port[0];
	k.dport = f->port[1];
	k.proto = f->proto;
	return hash_key(&k);
}

/* Remove flow i from the table (its slot goes to the free list). */
static void flow_free(pc_ftab *t, uint32_t i)
{
	pc_flow *f = &t->flows[i];

	hash_del(t, i, flow_hash(f));
	list_del(t, f->state == PC_LIVE ? &t->live : &t->closed, i);
	f->state = 0;
	f->hnext = t->free_head;
	t->free_head = i;
	t->nused--;
}

static void queue_push(pc_ftab *t, const pc_flow *f)
{
	/* A packet queues at most two flows (an eviction and its own end)
	 * and the queue is drained before the next packet is read. */
	if (t->qn < PC_QUEUE) {
		t->queue[(t->qhead + t->qn) % PC_QUEUE] = *f;
		t->qn++;
	}
}

/* The flow ended: queue its event and keep it as closed. */
static void flow_end(pc_ftab *t, uint32_t i)
{
	pc_flow *f = &t->flows[i];

	queue_push(t, f);
	list_del(t, &t->live, i);
	f->state = PC_CLOSED;
	list_add(t, &t->closed, i);
}

/* A free slot, evicting when the table is full. PC_NIL on ENOMEM. */
static uint32_t flow_slot(pc_ftab *t)
{
	uint32_t i;

	if (t->free_head == PC_NIL && t->nused >= t->max_flows) {
		if (t->closed.head != PC_NIL) {
			flow_free(t, t->closed.head);
		} else if (t->live.head != PC_NIL) {
			i = t->live.head;
			queue_push(t, &t->flows[i]);
			t->evicted++;
			flow_free(t, i);
		}
	}
	if (t->free_head == PC_NIL && t->nflows_alloc < t->max_flows) {
		uint32_t n = t->nflows_alloc ? t->nflows_alloc * 2 : 64;
		pc_flow *nf;

		if (n > t->max_flows)
			n = t->max_flows;
		nf = realloc(t->flows, (size_t)n * sizeof(*nf));
		if (!nf)
			return PC_NIL;
		t->flows = nf;
		for (uint32_t k = n; k-- > t->nflows_alloc;) {
			nf[k].state = 0;
			nf[k].hnext = t->free_head;
			t->free_head = k;
		}
		t->nflows_alloc = n;
	}
	if (t->free_head == PC_NIL)
		return PC_NIL;
	i = t->free_head;
	t->free_head = t->flows[i].hnext;
	t->nused++;
	return i;
}

static uint32_t flow_find(pc_ftab *t, const mh_pcap_pkt *k, uint32_t h,
			  int *dir)
{
	for (uint32_t i = t->buckets[h & (t->nbuckets - 1)]; i != PC_NIL;
	     i = t->flows[i].hnext) {
		int d = flow_dir(&t->flows[i], k);

		if (d >= 0) {
			*dir = d;
			return i;
		}
	}
	return PC_NIL;
}

static void sniff_add(pc_flow *f, int d, const mh_pcap_pkt *k)
{
	size_t room = PC_SNIFF - f->sniff_n[d];
	size_t take = k->pay_n < room ? k->pay_n : room;
	bool earlier = (f->flags & (F_DATA0 | F_DATA1)) != 0;

	/* A TLS record opening a segment after plain-text payload in
	 * either direction: STARTTLS. */
	if (earlier && pc_tls_record(k->pay, k->pay_n) &&
	    !(f->sniff_n[0] && pc_tls_record(f->sniff[0], f->sniff_n[0])) &&
	    !(f->sniff_n[1] && pc_tls_record(f->sniff[1], f->sniff_n[1])))
		f->flags |= F_TLS;
	if (take) {
		memcpy(f->sniff[d] + f->sniff_n[d], k->pay, take);
		f->sniff_n[d] = (uint8_t)(f->sniff_n[d] + take);
	}
}

static void tcp_bytes(pc_flow *f, int d, const mh_pcap_pkt *k)
{
	uint32_t start = k->seq + ((k->tcpflags & TH_SYN) ? 1u : 0u);
	uint32_t seqflag = d ? F_SEQ1 : F_SEQ0;
	uint32_t end;

	if (!(f->flags & seqflag)) {
		if (!(k->tcpflags & TH_SYN) && !k->plen)
			return; /* a pure ACK says nothing about the base */
		f->base[d] = start;
		f->top[d] = 0;
		f->flags |= seqflag;
	}
	if (!k->plen)
		return;
	end = start + k->plen - f->base[d];
	if (end < 0x80000000u && end > f->top[d])
		f->top[d] = end;
}

/* Initialise a new flow from its first packet k. */
static void flow_init(pc_flow *f, const mh_pcap_pkt *k, int64_t ns,
		      uint64_t pkt)
{
	bool swap;

	memset(f, 0, offsetof(pc_flow, sniff));
	f->proto = k->proto;
	if (k->proto != 6)
		swap = false;
	else if ((k->tcpflags & (TH_SYN | TH_ACK)) == TH_SYN)
		swap = false;
	else if ((k->tcpflags & (TH_SYN | TH_ACK)) == (TH_SYN | TH_ACK))
		swap = true;
	else
		swap = k->dport > k->sport;
	f->ip[0] = swap ? k->dst : k->src;
	f->ip[1] = swap ? k->src : k->dst;
	f->port[0] = swap ? k->dport : k->sport;
	f->port[1] = swap ? k->sport : k->dport;
	f->first_ns = ns;
	f->first_pkt = pkt;
	f->state = PC_LIVE;
}

/* Account packet k (direction d) to flow f; true if the flow ended. */
static bool flow_update(pc_flow *f, int d, const mh_pcap_pkt *k)
{
	uint8_t fl = k->tcpflags;

	if (k->pay_n || k->plen) {
		sniff_add(f, d, k);
		f->flags |= d ? F_DATA1 : F_DATA0;
	}
	if (k->proto != 6) {
		f->bytes[d] += k->plen;
		return false;
	}
	tcp_bytes(f, d, k);
	if ((fl & (TH_SYN | TH_ACK)) == TH_SYN && d == 0)
		f->flags |= F_SYN;
	if ((fl & (TH_SYN | TH_ACK)) == (TH_SYN | TH_ACK) && d == 1)
		f->flags |= F_SYNACK;
	if (fl & TH_FIN)
		f->flags |= d ? F_FIN1 : F_FIN0;
	if (fl & TH_RST) {
		f->flags |= d ? F_RST1 : F_RST0;
		return true;
	}
	return (f->flags & (F_FIN0 | F_FIN1)) == (F_FIN0 | F_FIN1);
}

bool mh_pcap_ftab_packet(pc_ftab *t, const mh_pcap_pkt *k, int64_t ns,
			 uint64_t pkt)
{
	uint32_t h = hash_key(k), i;
	int d = 0;
	bool new_syn = k->proto == 6 &&
		       (k->tcpflags & (TH_SYN | TH_ACK | TH_RST)) == TH_SYN;

	i = flow_find(t, k, h, &d);
	if (i != PC_NIL && t->flows[i].state == PC_CLOSED) {
		if (!new_syn)
			return true; /* a straggler of an ended flow */
		flow_free(t, i);
		i = PC_NIL;
	}
	if (i == PC_NIL) {
		i = flow_slot(t);
		if (i == PC_NIL)
			return false;
		flow_init(&t->flows[i], k, ns, pkt);
		d = flow_dir(&t->flows[i], k);
		t->flows[i].hnext = t->buckets[h & (t->nbuckets - 1)];
		t->buckets[h & (t->nbuckets - 1)] = i;
		list_add(t, &t->live, i);
	}
	if (flow_update(&t->flows[i], d, k))
		flow_end(t, i);
	return true;
}

const pc_flow *mh_pcap_ftab_next(pc_ftab *t, bool at_eof, pc_flow *tmp)
{
	uint32_t i;

	if (t->qn) {
		*tmp = t->queue[t->qhead];
		t->qhead = (t->qhead + 1) % PC_QUEUE;
		t->qn--;
		return tmp;
	}
	if (!at_eof || t->live.head == PC_NIL)
		return NULL;
	i = t->live.head;
	list_del(t, &t->live, i);
	t->flows[i].state = PC_CLOSED;
	list_add(t, &t->closed, i);
	return &t->flows[i];
}
