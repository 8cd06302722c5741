/* An intrusive doubly-linked list: the links live inside the listed object,
 * so adding or removing never allocates and removal is O(1). */
#ifndef LIB_LIST_H
#define LIB_LIST_H

#include <stdbool.h>
#include <stddef.h>

struct list_node {
    struct list_node *prev, *next;
};

/* A list head is a node linked to itself when empty. */
#define LIST_INIT(name) { &(name), &(name) }

static inline void list_init(struct list_node *head) { head->prev = head->next = head; }
static inline bool list_empty(const struct list_node *head) { return head->next == head; }
static inline bool list_linked(const struct list_node *n) { return n->next && n->next != n; }

static inline void list_insert_between(struct list_node *n, struct list_node *prev,
                                       struct list_node *next)
{
    n->prev = prev;
    n->next = next;
    prev->next = n;
    next->prev = n;
}

static inline void list_push_back(struct list_node *head, struct list_node *n)
{
    list_insert_between(n, head->prev, head);
}

static inline void list_remove(struct list_node *n)
{
    n->prev->next = n->next;
    n->next->prev = n->prev;
    n->prev = n->next = n;
}

#define list_entry(node, type, member) \
    ((type *)((char *)(node) - offsetof(type, member)))

#define list_for_each(pos, head) \
    for (struct list_node *pos = (head)->next; pos != (head); pos = pos->next)

/* Safe against removal of `pos` inside the loop. */
#define list_for_each_safe(pos, head) \
    for (struct list_node *pos = (head)->next, *pos##_next = pos->next; \
         pos != (head); pos = pos##_next, pos##_next = pos->next)

#endif
