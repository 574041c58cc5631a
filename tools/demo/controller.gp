# SPDX-License-Identifier: GPL-2.0
# gnuplot -e "data='controller.dat'; out='controller.png'; reweight=12" controller.gp
# Each managed cgroup's CPU usage against the share the controller set,
# from the samples tools/demo/guest.sh writes (t, then usage and share of
# /demo/train and of /demo/infer, in CPUs), and when the weights changed.
if (!exists("data")) data = "controller.dat"
if (!exists("out")) out = "controller.png"
set terminal pngcairo size 960,480 font ",11"
set output out
set title "make demo: cgsharectl run on /demo/train and /demo/infer (2 CPUs)"
set xlabel "seconds since the controller started"
set ylabel "CPUs"
set yrange [0:2.2]
set key outside right top
set grid
set arrow from reweight, graph 0 to reweight, graph 1 nohead dashtype 3 lc rgb "gray40"
set label "weights 2:1 -> 1:3" at reweight, graph 0.95 offset 0.5, 0 tc rgb "gray30"
plot data using 1:2 with lines lw 2 lc rgb "#1f77b4" title "train usage", \
     data using 1:3 with steps lw 2 dt 2 lc rgb "#1f77b4" title "train share", \
     data using 1:4 with lines lw 2 lc rgb "#d62728" title "infer usage", \
     data using 1:5 with steps lw 2 dt 2 lc rgb "#d62728" title "infer share"
