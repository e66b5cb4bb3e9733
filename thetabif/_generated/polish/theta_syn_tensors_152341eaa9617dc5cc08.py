# ruff: noqa
import math


def B(x, y, s, eta, J, Delta, tau, I_ext, tau_s):
    B_t0 = 1/tau
    B_t1 = B_t0*Delta
    B_t2 = -B_t1
    B_t3 = B_t0*(I_ext + eta + s - 1)
    B_t4 = -B_t3
    B_t5 = B_t0*y
    B_t6 = -B_t5
    B_t7 = x + 1
    B_t8 = B_t0*B_t7
    B_t9 = -B_t8
    B_t10 = B_t7**2
    B_t11 = y**2
    B_t12 = B_t11 + x**2 - 1
    B_t13 = B_t10 + B_t11
    B_t14 = 4/B_t13**2
    B_t15 = B_t12*B_t14
    B_t16 = 1/B_t13
    B_t17 = 4*B_t16
    B_t18 = B_t12*B_t16 - 1
    B_t19 = J/(math.pi*tau_s)
    B_t20 = 2*B_t0*B_t16*B_t19
    B_t21 = -B_t14*B_t19*B_t5*(2*B_t12*B_t16*B_t7 - 2*x - 1)
    return [B_t2, B_t4, B_t6, B_t4, B_t1, B_t9, B_t6, B_t9, 0, B_t3, B_t2, B_t8, B_t2, B_t4, B_t6, B_t8, B_t6, 0, B_t20*(-B_t10*B_t15 + B_t17*B_t7*x + B_t18), B_t21, 0, B_t21, B_t20*(-B_t11*B_t15 + B_t11*B_t17 + B_t18), 0, 0, 0, 0]


def C(x, y, s, eta, J, Delta, tau, I_ext, tau_s):
    C_t0 = 1/tau
    C_t1 = -C_t0
    C_t2 = 2*x
    C_t3 = x + 1
    C_t4 = C_t3**2
    C_t5 = y**2
    C_t6 = C_t4 + C_t5
    C_t7 = 1/C_t6
    C_t8 = 4*C_t7
    C_t9 = C_t4*C_t8
    C_t10 = C_t5 + x**2 - 1
    C_t11 = C_t10*C_t7
    C_t12 = 2*C_t11
    C_t13 = C_t12*C_t3
    C_t14 = C_t6**(-2)
    C_t15 = C_t10*C_t14
    C_t16 = C_t0*C_t14*J/(math.pi*tau_s)
    C_t17 = 8*C_t3
    C_t18 = 12*C_t15
    C_t19 = 4*C_t16
    C_t20 = -C_t19*y*(C_t12 + C_t17*C_t7*x - C_t18*C_t4 + C_t9 - 2)
    C_t21 = C_t5*C_t7
    C_t22 = -C_t19*(C_t13 + C_t17*C_t21 - C_t18*C_t3*C_t5 - C_t2 + C_t5*C_t8*x - 1)
    return [0, 0, 0, 0, 0, C_t1, 0, C_t1, 0, 0, 0, C_t1, 0, 0, 0, C_t1, 0, 0, 0, C_t1, 0, C_t1, 0, 0, 0, 0, 0, 0, 0, C_t0, 0, 0, 0, C_t0, 0, 0, 0, 0, 0, 0, 0, C_t1, 0, C_t1, 0, C_t0, 0, 0, 0, C_t1, 0, 0, 0, 0, 12*C_t16*(-C_t13 + 4*C_t15*C_t3**3 + C_t2 - C_t9*x + 1), C_t20, 0, C_t20, C_t22, 0, 0, 0, 0, C_t20, C_t22, 0, C_t22, -24*C_t16*y*(C_t11 - 2*C_t15*C_t5 + 2*C_t21 - 1), 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]
