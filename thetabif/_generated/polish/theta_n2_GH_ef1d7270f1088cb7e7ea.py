# ruff: noqa
import math


def g(x, y, eta, J, Delta, tau, I_ext):
    g_t0 = 2*x
    g_t1 = y**2
    g_t2 = -g_t1 + (x + 1)**2
    g_t3 = 1/tau
    g_t4 = J*g_t3/math.pi
    g_t5 = I_ext + eta + g_t4*(-1/3*g_t1 + (1/3)*x**2 - 4/3*x + 1)
    g_t6 = g_t0 + 2
    g_t7 = g_t6*y
    g_t8 = (1/2)*g_t3
    g_t9 = Delta*g_t6
    g_t10 = 2*g_t5*y + g_t9 - 2*y
    return [g_t8*(-Delta*g_t2 - g_t5*g_t7 + y*(g_t0 - 2)), g_t8*(g_t1 + g_t2*g_t5 - g_t9*y - (x - 1)**2), -g_t8*(-g_t10 - 2/3*g_t2*g_t4*y) - g_t8*(-g_t10 - g_t4*g_t7*((2/3)*x - 4/3))]


def dg(x, y, eta, J, Delta, tau, I_ext):
    d_t0 = 2*x
    d_t1 = d_t0 + 2
    d_t2 = d_t1*y
    d_t3 = (2/3)*x - 4/3
    d_t4 = 1/math.pi
    d_t5 = 1/tau
    d_t6 = J*d_t5
    d_t7 = d_t4*d_t6
    d_t8 = d_t3*d_t7
    d_t9 = y**2
    d_t10 = d_t4*(-1/3*d_t9 + (1/3)*x**2 - 4/3*x + 1)
    d_t11 = d_t10*d_t6
    d_t12 = I_ext + d_t11 + eta
    d_t13 = 2*y
    d_t14 = Delta*d_t1 + d_t12*d_t13 - 2*y
    d_t15 = (1/2)*d_t5
    d_t16 = Delta*d_t13
    d_t17 = d_t1*d_t12
    d_t18 = (1/2)*d_t10/tau**2
    d_t19 = -d_t9 + (x + 1)**2
    d_t20 = d_t19*d_t7
    d_t21 = (2/3)*d_t20
    d_t22 = 2*Delta + (2/3)*d_t2*d_t7
    d_t23 = d_t13*d_t5
    d_t24 = 2*I_ext + 2*d_t11 + 2*eta - 2
    d_t25 = d_t4*d_t5
    d_t26 = d_t10*d_t23
    return [[d_t15*(-d_t14 - d_t2*d_t8), d_t15*(d_t0 + (2/3)*d_t1*d_t7*d_t9 + d_t16 - d_t17 - 2), -d_t18*d_t2, -d_t15*d_t2], [d_t15*(-d_t0 - d_t16 + d_t17 + d_t20*d_t3 + 2), d_t15*(-d_t14 - d_t21*y), d_t18*d_t19, d_t15*d_t19], [-d_t15*(-d_t22 - 4*d_t8*y) - d_t15*(-J*d_t23*d_t3*d_t4 - d_t22), -d_t15*((4/3)*J*d_t4*d_t5*d_t9 - d_t1*d_t8 - d_t24) - d_t15*((8/3)*J*d_t4*d_t5*d_t9 - d_t21 - d_t24), -d_t15*(-2/3*d_t19*d_t25*y - d_t26) - d_t15*(-d_t2*d_t25*d_t3 - d_t26), d_t23]]
