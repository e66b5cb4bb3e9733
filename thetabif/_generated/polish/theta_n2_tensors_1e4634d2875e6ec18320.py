# ruff: noqa
import math


def B(x, y, eta, J, Delta, tau, I_ext):
    B_t0 = (2/3)*x - 4/3
    B_t1 = 1/tau
    B_t2 = 1/math.pi
    B_t3 = B_t1*B_t2*J
    B_t4 = B_t0*B_t3
    B_t5 = 2*Delta
    B_t6 = (2/3)*B_t3
    B_t7 = 2*x + 2
    B_t8 = B_t7*y
    B_t9 = B_t5 + B_t6*B_t8
    B_t10 = (1/2)*B_t1
    B_t11 = y**2
    B_t12 = 2*B_t3
    B_t13 = B_t12*(-1/3*B_t11 + (1/3)*x**2 - 4/3*x + 1) + 2*I_ext + 2*eta - 2
    B_t14 = B_t10*((4/3)*B_t1*B_t11*B_t2*J - B_t13 - B_t4*B_t7)
    B_t15 = B_t0*B_t12
    B_t16 = B_t13 + B_t6*(-B_t11 + (x + 1)**2)
    B_t17 = B_t10*(-B_t15*y - B_t9)
    return [B_t10*(-4*B_t4*y - B_t9), B_t14, B_t14, B_t10*(B_t12*B_t8 + B_t5), B_t10*(B_t15*B_t7 + B_t16), B_t17, B_t17, B_t10*((8/3)*B_t1*B_t11*B_t2*J - B_t16)]


def C(x, y, eta, J, Delta, tau, I_ext):
    C_t0 = J/math.pi
    C_t1 = C_t0/tau**2
    C_t2 = C_t1*y
    C_t3 = 2*C_t2
    C_t4 = 1/tau
    C_t5 = C_t0*C_t4
    C_t6 = C_t5*((2/3)*x - 4/3)
    C_t7 = 2*x + 2
    C_t8 = C_t5*C_t7
    C_t9 = (2/3)*C_t8
    C_t10 = (1/2)*C_t4
    C_t11 = C_t10*(-4*C_t6 - C_t9)
    C_t12 = -4/3*C_t2
    C_t13 = C_t10*(-2*C_t6 - C_t9)
    return [-C_t3, C_t11, C_t11, C_t3, C_t11, C_t3, C_t3, C_t1*C_t7, C_t10*(6*C_t6 + 2*C_t8), C_t12, C_t12, C_t13, C_t12, C_t13, C_t13, 4*C_t2]


def D(x, y, eta, J, Delta, tau, I_ext):
    D_t0 = J/(math.pi*tau**2)
    D_t1 = 2*D_t0
    D_t2 = -D_t1
    D_t3 = 4*D_t0
    D_t4 = -4/3*D_t0
    return [0, D_t2, D_t2, 0, D_t2, 0, 0, D_t1, D_t2, 0, 0, D_t1, 0, D_t1, D_t1, 0, D_t3, 0, 0, D_t4, 0, D_t4, D_t4, 0, 0, D_t4, D_t4, 0, D_t4, 0, 0, D_t3]


def E(x, y, eta, J, Delta, tau, I_ext):
    return [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]
