/* The preload library exports only its hooks; it has no public header. */
