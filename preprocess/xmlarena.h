/* xmlarena.h — libxml2's allocations for one page from a per-thread arena. html.c builds no
 * libxml2 tree, but the parser still allocates for every page (its input copy, each attribute
 * value, its name stacks and dictionary): inside pp_xml_arena_begin/end a thread's xmlMalloc
 * bumps a pointer and xmlFree does nothing; the arena is emptied at the end (fewer
 * instructions than malloc/free, measured with callgrind). Outside, allocations go to the heap.
 * html.c uses it around one page's parse; nothing else needs to know. */
#ifndef PP_XMLARENA_H
#define PP_XMLARENA_H

/* Routes libxml2's allocator through ours (xmlMemSetup). Must come before any other libxml2
 * call in the process (pp_html_init does it first). */
void pp_xml_arena_install(void);
/* 1 when installed: pp_xml_arena_begin is only worth calling then. */
int pp_xml_arena_installed(void);
/* From here this thread's libxml2 allocations come from its arena... */
void pp_xml_arena_begin(void);
/* ...and from here no longer: everything allocated since begin is released at once. Nothing
 * allocated in between may be used afterwards (the caller has copied what it needs). */
void pp_xml_arena_end(void);

#endif
