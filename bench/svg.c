// SPDX-License-Identifier: MIT
/* A horizontal bar chart as SVG: see svg.h. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "svg.h"

static const char *const colours[] = { "#4e79a7", "#f28e2b", "#59a14f", "#e15759",
				       "#76b7b2", "#edc948", "#b07aa1", "#9c755f" };

/* Text for XML: & < > " escaped. */
static void xml_text(FILE *f, const char *s)
{
	for (; *s; s++) {
		switch (*s) {
		case '&': fputs("&amp;", f); break;
		case '<': fputs("&lt;", f); break;
		case '>': fputs("&gt;", f); break;
		case '"': fputs("&quot;", f); break;
		default: fputc(*s, f);
		}
	}
}

/* A round axis maximum: 1, 2 or 5 times a power of ten, >= v. */
static double nice_max(double v)
{
	double p = 1;

	if (v <= 0)
		return 1;
	while (p * 10 <= v)
		p *= 10;
	while (p > v)
		p /= 10;
	if (v <= p)
		return p;
	if (v <= 2 * p)
		return 2 * p;
	if (v <= 5 * p)
		return 5 * p;
	return 10 * p;
}

int svg_bar_chart(const char *path, const char *title, const char *unit,
		  const struct svg_bar *bars, int n, const char *const *groups, int ngroups)
{
	const int label_w = 300, plot_w = 560, bar_h = 14, gap = 8, top = 60, right = 70;
	double max = 0, axis;
	int nlabels = 0, y, height, width = label_w + plot_w + right;
	FILE *f;

	for (int i = 0; i < n; i++) {
		if (bars[i].value > max)
			max = bars[i].value;
		if (!i || strcmp(bars[i].label, bars[i - 1].label))
			nlabels++;
	}
	axis = nice_max(max);
	height = top + n * bar_h + nlabels * gap + 40;
	f = fopen(path, "we");
	if (!f)
		return -errno;
	fprintf(f, "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" "
		"viewBox=\"0 0 %d %d\" font-family=\"sans-serif\" font-size=\"11\">\n",
		width, height, width, height);
	fprintf(f, "<rect width=\"100%%\" height=\"100%%\" fill=\"white\"/>\n");
	fprintf(f, "<text x=\"%d\" y=\"20\" font-size=\"14\" font-weight=\"bold\">", 10);
	xml_text(f, title);
	fprintf(f, "</text>\n");
	/* Legend: one swatch per group. */
	for (int g = 0; g < ngroups; g++) {
		int x = label_w + g * 110;

		fprintf(f, "<rect x=\"%d\" y=\"30\" width=\"12\" height=\"12\" fill=\"%s\"/>"
			"<text x=\"%d\" y=\"40\">", x, colours[g % 8], x + 16);
		xml_text(f, groups[g]);
		fprintf(f, "</text>\n");
	}
	/* Grid and axis: five steps. */
	for (int k = 0; k <= 5; k++) {
		double v = axis * k / 5;
		int x = label_w + (int)(plot_w * k / 5);

		fprintf(f, "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"#ddd\"/>\n", x, top - 4,
			x, height - 30);
		fprintf(f, "<text x=\"%d\" y=\"%d\" text-anchor=\"middle\">%g</text>\n", x, height - 16, v);
	}
	fprintf(f, "<text x=\"%d\" y=\"%d\" text-anchor=\"middle\">", label_w + plot_w / 2, height - 3);
	xml_text(f, unit);
	fprintf(f, "</text>\n");
	y = top;
	for (int i = 0; i < n; i++) {
		int w = (int)(plot_w * bars[i].value / axis + 0.5);

		if (i && strcmp(bars[i].label, bars[i - 1].label))
			y += gap;
		if (!i || strcmp(bars[i].label, bars[i - 1].label)) {
			fprintf(f, "<text x=\"%d\" y=\"%d\" text-anchor=\"end\">", label_w - 6, y + bar_h - 3);
			xml_text(f, bars[i].label);
			fprintf(f, "</text>\n");
		}
		fprintf(f, "<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" fill=\"%s\"/>"
			"<text x=\"%d\" y=\"%d\">%.2f</text>\n", label_w, y, w, bar_h - 2,
			colours[bars[i].group % 8], label_w + w + 4, y + bar_h - 3, bars[i].value);
		y += bar_h;
	}
	fprintf(f, "</svg>\n");
	if (fclose(f))
		return -errno;
	return 0;
}
