/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * A GSource that drives an OomnClient from a GLib main loop. It is part of
 * the example, not of liboom-notify (which does not depend on GLib): copy it
 * into a GLib application as it is.
 *
 *	GSource *s = oomn_gsource_new(client);   // takes a reference on client
 *	g_source_attach(s, NULL);
 *	g_source_unref(s);
 *
 * When the connection is lost the source logs it and removes itself.
 */
#pragma once

#include <glib.h>

#include "oom-notify.h"

GSource *oomn_gsource_new(OomnClient *client);
